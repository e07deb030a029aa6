// pagerd web console: the live parts of a page ([data-live]: fetched
// again every data-poll milliseconds and swapped in when they changed),
// and forms marked data-fetch (the alert buttons), posted without leaving
// the page. Every page works without this script, only less live.
(function () {
  'use strict';
  var poll = parseInt(document.body.getAttribute('data-poll'), 10) || 2000;
  var regions = Array.prototype.slice.call(document.querySelectorAll('[data-live]'));
  var busy = false;

  function refresh(el) {
    return fetch(el.getAttribute('data-live'), {
      credentials: 'same-origin', cache: 'no-store', headers: { 'X-Pagerd-Live': '1' }
    }).then(function (r) {
      if (r.status === 401) { location.reload(); return null; } // signed out: show the sign-in page
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html === null || html === el.pagerdLast) { return; }
      // Keep the keyboard where it was across the swap.
      var focused = el.contains(document.activeElement) ? document.activeElement.id : '';
      el.innerHTML = html;
      el.pagerdLast = html;
      if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
    }).catch(function () { /* offline for a moment: the next tick tries again */ });
  }

  // tick refreshes every region, or only those whose own interval
  // (data-every, in ms; data-poll of the page by default) is up.
  function tick(all) {
    if (busy || document.hidden) { return; }
    var now = Date.now();
    var due = regions.filter(function (el) {
      var every = parseInt(el.getAttribute('data-every'), 10) || poll;
      return all === true || now - el.pagerdAt >= every;
    });
    if (!due.length) { return; }
    busy = true;
    due.forEach(function (el) { el.pagerdAt = now; });
    Promise.all(due.map(refresh)).then(function () { busy = false; });
  }

  regions.forEach(function (el) { el.pagerdLast = null; el.pagerdAt = Date.now(); });
  if (regions.length) {
    setInterval(tick, poll);
    document.addEventListener('visibilitychange', function () { tick(true); });
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute('data-fetch')) { return; }
    e.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    if (e.submitter && e.submitter.name) { data.append(e.submitter.name, e.submitter.value); }
    var status = document.getElementById('status');
    var buttons = Array.prototype.slice.call(form.querySelectorAll('button'));
    buttons.forEach(function (b) { b.disabled = true; });
    // getAttribute: form.action would be the button named "action".
    fetch(form.getAttribute('action'), {
      method: 'POST', body: data, credentials: 'same-origin', headers: { 'X-Pagerd-Live': '1' }
    }).then(function (r) {
      if (r.status === 401) { location.reload(); return; }
      return r.text().then(function (text) {
        if (status) {
          status.textContent = text;
          status.className = r.ok ? 'ok' : 'error';
        }
      });
    }).catch(function (err) {
      if (status) { status.textContent = 'Could not reach pagerd (' + err.message + '): try again.'; status.className = 'error'; }
    }).then(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      busy = false;
      tick(true);
    });
  });
})();
