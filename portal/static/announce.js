/* After an htmx swap, say what happened in the page's live region (#announce): the new content's
   error or message if it has one, else its heading or result count. Pages work without this file. */
document.addEventListener("htmx:afterSettle", function (event) {
  var region = document.getElementById("announce");
  var target = event.detail && event.detail.target;
  if (!region || !target || target === document.body) return;
  var said = target.querySelector("[role=alert], .flash, [role=status]:not(#announce), [data-announce], h1, h2, caption");
  var text = said ? said.textContent.replace(/\s+/g, " ").trim() : "";
  region.textContent = "";
  if (text) setTimeout(function () { region.textContent = text; }, 50);
});
