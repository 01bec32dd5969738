// overlab watch's live page: after every check round the server sends the
// page's sections, rendered by the same templates as the HTML report, as
// one server-sent event; this swaps them in. EventSource reconnects by
// itself when the connection drops.
(function () {
  "use strict";
  var conn = document.getElementById("live-conn");
  function say(text, cls) {
    conn.textContent = text;
    conn.className = "live " + cls;
  }
  function apply(ev) {
    var u = JSON.parse(ev.data);
    Object.keys(u.sections).forEach(function (id) {
      var el = document.getElementById("live-" + id);
      if (el) {
        el.innerHTML = u.sections[id];
      }
    });
    document.body.dataset.round = String(u.round);
    say("live · round " + u.round, "on");
  }
  if (!window.EventSource) {
    say("this browser cannot follow: reload to update", "off");
    return;
  }
  var es = new EventSource("api/stream");
  es.addEventListener("update", apply);
  es.onopen = function () { say("live", "on"); };
  es.onerror = function () { say("reconnecting…", "off"); };
})();
