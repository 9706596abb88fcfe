/* After an htmx swap: (1) say what happened in the page's live region (#announce): the new content's
   error or message if it has one, else its heading or result count; (2) keep a failed form's error
   summary ([autofocus][tabindex="-1"]) focused and on screen, after htmx's own scrolling.
   Pages work without this file. */
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail && event.detail.target;
  var summary = document.querySelector('[autofocus][tabindex="-1"]');
  if (summary) {
    setTimeout(function () {
      summary.focus({ preventScroll: true });
      summary.scrollIntoView({ block: "start" });
    }, 0);
  }
  var region = document.getElementById("announce");
  if (!region || !target || target === document.body) return;
  var said = target.querySelector("[role=alert], .flash, [role=status]:not(#announce), [data-announce], h1, h2, caption");
  var text = said ? said.textContent.replace(/\s+/g, " ").trim() : "";
  region.textContent = "";
  if (text) setTimeout(function () { region.textContent = text; }, 50);
});

/* The header's menu and language panels (<details class="pop">) close with Escape (focus back on their
   summary) and with a click elsewhere, as people expect of a menu. Without this file they close by their
   own summary. */
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var open = document.querySelector("details.pop[open]");
  if (open) {
    open.open = false;
    open.querySelector("summary").focus();
  }
});
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.pop[open]").forEach(function (open) {
    if (!open.contains(event.target)) open.open = false;
  });
});
