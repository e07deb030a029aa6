// pagerd web console: the live parts of a page ([data-live]: fetched
// again every data-poll milliseconds and swapped in when they changed),
// and forms marked data-fetch (the alert buttons), posted without leaving
// the page. Every page works without this script, only less live.
(function () {
  'use strict';
  var poll = parseInt(document.body.getAttribute('data-poll'), 10) || 2000;
  var regions = Array.prototype.slice.call(document.querySelectorAll('[data-live]'));
  var busy = false;    // a tick's fetches are out
  var again = false;   // an action ended while they were: tick once more after
  var pressing = 0;    // a pointer or key is down: a swap now would eat the click
  var pressedAt = 0;
  var posting = 0;     // actions in flight

  // same says whether html would draw what the region holds now. Compared
  // as DOM, not as text: the browser's serialisation differs from ours.
  function same(el, html) {
    var next = el.cloneNode(false);
    next.innerHTML = html;
    return next.isEqualNode(el);
  }

  function refresh(el) {
    return fetch(el.getAttribute('data-live'), {
      credentials: 'same-origin', cache: 'no-store', headers: { 'X-Pagerd-Live': '1' }
    }).then(function (r) {
      if (r.status === 401) { location.reload(); return null; } // signed out: show the sign-in page
      return r.ok ? r.text() : null;
    }).then(function (html) {
      // Held while a button is half pressed (its press and release
      // would land on different elements, and the click on neither)
      // or an action is out (its buttons are disabled until it ends):
      // the next tick brings the news.
      if (html === null || held() || same(el, html)) { return; }
      // Keep the keyboard where it was across the swap.
      var focused = el.contains(document.activeElement) ? document.activeElement.id : '';
      el.innerHTML = html;
      if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
    }).catch(function () { /* offline for a moment: the next tick tries again */ });
  }

  // tick refreshes every region, or only those whose own interval
  // (data-every, in ms; data-poll of the page by default) is up.
  function tick(all) {
    if (busy) { again = again || all === true; return; }
    if (document.hidden) { return; }
    var now = Date.now();
    var due = regions.filter(function (el) {
      var every = parseInt(el.getAttribute('data-every'), 10) || poll;
      return all === true || now - el.pagerdAt >= every;
    });
    if (!due.length) { return; }
    busy = true;
    due.forEach(function (el) { el.pagerdAt = now; });
    Promise.all(due.map(refresh)).then(function () {
      busy = false;
      if (again) { again = false; tick(true); }
    });
  }

  regions.forEach(function (el) { el.pagerdAt = Date.now(); });
  if (regions.length) {
    setInterval(tick, poll);
    document.addEventListener('visibilitychange', function () { tick(true); });
  }

  // A press ends after its click has been dispatched: release events come
  // first, so the count drops on the next turn of the event loop.
  // A release lost somewhere stops holding after 10 s: a stale page is
  // worse than a lost click.
  function press() { pressing++; pressedAt = Date.now(); }
  function held() { return posting > 0 || (pressing > 0 && Date.now() - pressedAt < 10000); }
  function release() { setTimeout(function () { if (pressing > 0) { pressing--; } }, 0); }
  document.addEventListener('pointerdown', press, true);
  document.addEventListener('pointerup', release, true);
  document.addEventListener('pointercancel', release, true);
  document.addEventListener('keydown', function (e) { if (!e.repeat && (e.key === 'Enter' || e.key === ' ')) { press(); } }, true);
  document.addEventListener('keyup', function (e) { if (e.key === 'Enter' || e.key === ' ') { release(); } }, true);
  // A window left mid-press (the release went elsewhere) holds nothing.
  window.addEventListener('blur', function () { pressing = 0; });

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute('data-fetch')) { return; }
    e.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    if (e.submitter && e.submitter.name) { data.append(e.submitter.name, e.submitter.value); }
    var status = document.getElementById('status');
    var buttons = Array.prototype.slice.call(form.querySelectorAll('button'));
    buttons.forEach(function (b) { b.disabled = true; });
    posting++;
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
      posting--;
      tick(true);
    });
  });
})();
