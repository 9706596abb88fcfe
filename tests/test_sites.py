"""Home, centre pages, health check, error pages."""


def test_home_lists_three_centres(client, seed):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("Viale Faenza", "Via S. Erlembaldo", "Via A. Visconti"):
        assert name in html
    assert 'lang="it"' in html
    assert 'data-hx-boost="true"' in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_site_pages(client, seed):
    for slug in ("faenza", "erlembaldo", "visconti"):
        response = client.get(f"/sites/{slug}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "openstreetmap.org" in html
        assert "Come arrivare" in html
        own = html.replace('<script src="/static/vendor/htmx.min.js', "").replace('<script src="/static/a11y.js', "")
        assert "<script" not in own


def test_unknown_site_is_friendly_404(client, seed):
    response = client.get("/sites/nowhere")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.get_data(as_text=True)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_pages_and_static_files_are_compressed(client, seed):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    css = client.get("/static/style.css", headers={"Accept-Encoding": "br, gzip"})
    assert css.headers["Content-Encoding"] == "br"
    assert "max-age=31536000" in css.headers["Cache-Control"]
