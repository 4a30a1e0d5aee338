// The client's payment page: countdown to expiry, copy button, print button, live status.
(function () {
  "use strict";
  var cd = document.getElementById("countdown");
  if (cd) {
    var skew = Date.now() / 1000 - Number(cd.getAttribute("data-now"));
    var expires = Number(cd.getAttribute("data-expires"));
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    var tick = function () {
      var left = Math.max(0, Math.round(expires - (Date.now() / 1000 - skew)));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      cd.textContent = (h ? h + ":" + two(m) : m) + ":" + two(s);
      if (left === 0) { setTimeout(function () { location.reload(); }, 1500); } else { setTimeout(tick, 1000); }
    };
    tick();
  }
  var copy = document.getElementById("copy");
  if (copy && navigator.clipboard) {
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () {
        copy.textContent = copy.getAttribute("data-copied");
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // The POS's "Print" opens a receipt with ?print=1: the print dialog comes up by itself.
  if (document.body.getAttribute("data-autoprint")) { window.print(); }
  var events = document.body.getAttribute("data-events");
  if (events && window.EventSource) {
    var source = new EventSource(events);
    source.addEventListener("state", function () { source.close(); location.reload(); });
  }
})();
