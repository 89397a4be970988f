// Live updates without a framework: every `data-refresh` seconds, ask for this same page with
// the header X-Partial: 1, which returns only the server-rendered #live block, and swap it in.
// Skipped while the tab is hidden or the user is choosing something inside the block.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var seconds = Number(document.body.getAttribute("data-refresh") || "0");
  if (!live || !(seconds > 0)) {
    return;
  }
  var busy = false;

  function userIsBusy() {
    var focused = document.activeElement;
    var typing = focused && focused !== document.body && live.contains(focused);
    return typing || live.querySelector("input[type=checkbox]:checked") !== null;
  }

  function update() {
    if (busy || document.hidden || userIsBusy()) {
      return;
    }
    busy = true;
    fetch(window.location.href, { headers: { "X-Partial": "1" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          live.innerHTML = html;
          document.body.setAttribute("data-updated", String(Date.now()));
        }
      })
      .catch(function () {
        // The dashboard restarted or the network blinked: the next tick tries again.
      })
      .finally(function () {
        busy = false;
      });
  }

  window.setInterval(update, seconds * 1000);
})();
