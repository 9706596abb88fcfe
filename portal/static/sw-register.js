/* Registers the service worker (portal/pwa.py) that keeps the card and "Le mie cose" for offline use.
   Loaded only by those two pages. */
(function () {
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  navigator.serviceWorker.register(script.getAttribute("data-sw")).catch(function () {});
})();
