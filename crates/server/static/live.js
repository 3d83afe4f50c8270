// Tradeward live prices: follows the markets shown on the page over the server's own
// WebSocket (/api/v1/stream, authenticated by the session cookie) and updates their "last"
// figures. The page is complete without it; it only keeps prices fresh.
"use strict";
(function () {
  var cells = document.querySelectorAll("[data-market]");
  if (!cells.length || !("WebSocket" in window)) return;
  var names = [];
  cells.forEach(function (c) { names.push(c.getAttribute("data-market")); });
  var delay = 1000;
  function connect() {
    var url = "wss://" + location.host + "/api/v1/stream?markets=" +
      encodeURIComponent(names.join(","));
    var ws = new WebSocket(url);
    ws.onopen = function () { delay = 1000; document.body.setAttribute("data-live", "on"); };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type !== "price") return;
      var key = m.venue + ":" + m.symbol;
      cells.forEach(function (c) {
        if (c.getAttribute("data-market") !== key) return;
        var el = c.querySelector("[data-testid=last-price]");
        if (el) el.textContent = m.price;
      });
    };
    ws.onclose = function () {
      document.body.setAttribute("data-live", "off");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
