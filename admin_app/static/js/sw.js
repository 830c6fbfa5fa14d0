/* The service worker of the offline capture page (served at /field/sw.js, scope /field/).
   Pages and static files are asked of the network first and kept in the cache; without a
   connection the kept copy is used, so the capture page opens offline. The JSON of the page
   (/field/data, /field/sync) and any other request are never answered from the cache. */
'use strict';

var CACHE = 'mz-field-v1';

self.addEventListener('install', function () { self.skipWaiting(); });

self.addEventListener('activate', function (event) {
  event.waitUntil(self.clients.claim());
});

function kept(url) {
  if (url.origin !== self.location.origin) { return false; }
  if (url.pathname === '/field/' || url.pathname === '/field') { return true; }
  return url.pathname.indexOf('/static/') === 0 || url.pathname.indexOf('/admin/static/') === 0;
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') { return; }
  var url = new URL(request.url);
  if (!kept(url)) { return; }
  var page = request.mode === 'navigate';
  event.respondWith(fetch(request).then(function (response) {
    // a page that went to the login page (the session is gone) is not kept as the capture page
    if (response.ok && !response.redirected && response.type === 'basic') {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: page }).then(function (found) {
        if (found) { return found; }
        return page ? cache.match('/field/', { ignoreSearch: true }) : undefined;
      });
    }).then(function (found) {
      return found || new Response('离线，且本机没有保存此页面。请联网后再打开。', {
        status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    });
  }));
});
