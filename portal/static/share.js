// Sharing an event page: the phone's own share sheet (Web Share API) and a copy button, where the
// browser has them. Without script the page already offers WhatsApp, Telegram and the link to copy.
(function () {
  if (window.binariShare) return; // htmx may run this again after a swap
  window.binariShare = true;
  function reveal() {
    document.querySelectorAll(".share-native").forEach(function (b) { if (navigator.share) b.hidden = false; });
    document.querySelectorAll(".share-copy").forEach(function (b) { if (navigator.clipboard) b.hidden = false; });
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest(".share-native, .share-copy");
    if (!b) return;
    if (b.classList.contains("share-native")) {
      navigator.share({ title: b.dataset.title, text: b.dataset.text, url: b.dataset.url }).catch(function () {});
    } else {
      navigator.clipboard.writeText(b.dataset.url).then(function () { b.textContent = b.dataset.done; });
    }
  });
  document.addEventListener("htmx:afterSettle", reveal);
  reveal();
})();
