// The to-do count beside the 待办 entry of the navigation bar, asked once per page
// (a separate request, so that no page pays for it in its own database commands).
(function () {
  var link = document.querySelector('#admin-navbar-collapse a[href$="/todo/"]');
  if (!link || !window.fetch) return;
  fetch(link.getAttribute('href') + 'count', {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data) return;
      var badge = document.createElement('span');
      badge.id = 'todo-count';
      badge.className = 'badge ml-1 ' + (data.overdue ? 'badge-danger' : (data.count ? 'badge-warning' : 'badge-light'));
      badge.textContent = String(data.count);
      badge.title = data.overdue ? ('其中逾期 ' + data.overdue + ' 项') : '';
      link.appendChild(badge);
    })
    .catch(function () {});
})();
