/* Offline field capture. The phone keeps, in IndexedDB, the signed-in worker's own people and
   the lists the forms need (downloaded from /field/data whenever it is online), and a queue of
   the visits, patrols and group sessions recorded here. The queue is sent to /field/sync when the
   connection returns (and with 立即同步), one item at a time: each item carries an id made here,
   so sending it again never makes a second record. Nothing queued is removed until the server
   answers that it is saved (or the worker discards it). On the login page (data-wipe) this script
   only removes the downloaded data and the cached pages. */
(function () {
  'use strict';

  var DB_NAME = 'mz-field';
  var CACHE_PREFIX = 'mz-field';
  var CACHE = CACHE_PREFIX + '-v1';
  var KIND_LABELS = { visit: '入户探访', patrol: '街头巡查', session: '小组活动' };
  var STATE_LABELS = { pending: '待同步', sending: '同步中', refused: '被拒绝', conflict: '有冲突', saved: '已保存' };

  // ---------------------------------------------------------------- storage

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error('no-indexeddb')); return; }
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains('data')) { db.createObjectStore('data', { keyPath: 'key' }); }
        if (!db.objectStoreNames.contains('queue')) { db.createObjectStore('queue', { keyPath: 'id' }); }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(store, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(store, mode);
        var result;
        var request = work(transaction.objectStore(store));
        if (request) { request.onsuccess = function () { result = request.result; }; }
        transaction.oncomplete = function () { db.close(); resolve(result); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
        transaction.onabort = function () { db.close(); reject(transaction.error || new Error('abort')); };
      });
    });
  }

  function getAll(store) { return run(store, 'readonly', function (s) { return s.getAll(); }); }
  function getOne(store, key) { return run(store, 'readonly', function (s) { return s.get(key); }); }
  function put(store, value) { return run(store, 'readwrite', function (s) { return s.put(value); }); }
  function remove(store, key) { return run(store, 'readwrite', function (s) { return s['delete'](key); }); }
  function clear(store) { return run(store, 'readwrite', function (s) { return s.clear(); }); }

  /* The downloaded data and the cached pages go; the queue of unsent records stays (it is the
     worker's own unsaved work, sent only when the same account signs in again). */
  function wipe() {
    var steps = [clear('data').catch(function () { return null; })];
    if (window.caches) {
      steps.push(window.caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf(CACHE_PREFIX) === 0; })
          .map(function (n) { return window.caches['delete'](n); }));
      }).catch(function () { return null; }));
    }
    return Promise.all(steps);
  }

  window.mzField = { wipe: wipe };

  var script = document.currentScript;
  var app = document.getElementById('field-app');
  if (!app) {
    if (script && script.hasAttribute('data-wipe')) {
      wipe().then(function () { return getAll('queue'); }).then(function (items) {
        var notice = document.getElementById('offline-notice');
        if (notice && items && items.length) {
          notice.innerHTML = '<div class="alert alert-warning">本机还有 ' + items.length +
            ' 条离线记录没有同步。手机上的对象名单已清除；录入这些记录的社工重新登录后打开“离线采集”即可继续同步。</div>';
        }
        document.documentElement.setAttribute('data-field-wiped', '1');
      }).catch(function () { document.documentElement.setAttribute('data-field-wiped', '1'); });
    }
    return;
  }

  // ---------------------------------------------------------------- page state

  var owner = app.getAttribute('data-owner');
  var csrf = app.getAttribute('data-csrf');
  var loginUrl = app.getAttribute('data-login');
  var data = null;
  var syncing = false;
  var editing = {};  // kind -> the queued item being changed
  var referenceShown = null;  // the lists of the forms are filled once: from the data, else the basic ones

  function byId(id) { return document.getElementById(id); }

  function escapeHtml(text) {
    return String(text == null ? '' : text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function say(text, kind, withLogin) {
    var box = byId('field-message');
    box.innerHTML = text ? '<div class="alert alert-' + (kind || 'info') + ' py-2">' + escapeHtml(text) +
      (withLogin ? ' <a class="alert-link" href="' + escapeHtml(loginUrl) + '">重新登录</a>' : '') + '</div>' : '';
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function localStamp(date) {
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' +
      pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  }

  function showNetwork() {
    var online = navigator.onLine !== false;
    var line = byId('field-network');
    line.textContent = online ? '网络：在线' : '网络：离线（记录保存在本机，恢复网络后自动同步）';
    line.className = 'small mb-1 ' + (online ? 'text-success' : 'text-danger');
  }

  // ---------------------------------------------------------------- the downloaded data

  function expired(found) { return !found || localStamp(new Date()) > found.expires_at; }

  function showRefreshed() {
    var line = byId('field-refreshed');
    if (!data) { line.textContent = '名单尚未下载：请在有网络时打开本页。'; return; }
    var when = data.fetched_at.replace('T', ' ').slice(0, 16);
    line.textContent = '名单更新于 ' + when + '，共 ' + data.people.length + ' 人；' +
      (expired(data) ? '已过期，请联网刷新。' : '有效至 ' + data.expires_at.replace('T', ' ').slice(0, 16) + '。');
    line.className = 'small mb-1 ' + (expired(data) ? 'text-danger' : 'text-muted');
  }

  function options(select, pairs, blank) {
    select.innerHTML = (blank ? '<option value="">' + escapeHtml(blank) + '</option>' : '') +
      pairs.map(function (p) { return '<option value="' + escapeHtml(p[0]) + '">' + escapeHtml(p[1]) + '</option>'; }).join('');
  }

  function person(id) {
    return (data && data.people || []).filter(function (p) { return p.id === id; })[0];
  }

  function group(id) {
    return (data && data.groups || []).filter(function (g) { return g.id === id; })[0];
  }

  function render() {
    showRefreshed();
    var usable = data && !expired(data);
    var people = usable ? data.people : [];
    var ref = data ? data.reference : { modes: [['home', '入户']], contact: [['made', '已见到本人/家属']], health: [], actions: [] };
    var chosen = byId('visit-person').value;
    options(byId('visit-person'), people.map(function (p) {
      var due = p.due.length ? '（' + p.due[0].policy + '，' + p.due[0].ends.slice(5) + ' 前）' : '';
      return [p.id, p.name + ' · ' + (p.community || '') + due];
    }), '请选择（我负责的待访或近期探访对象）');
    byId('visit-person').value = chosen;
    if (!referenceShown || (data && referenceShown === 'fallback')) {
      referenceShown = data ? 'data' : 'fallback';
      options(byId('visit-mode'), ref.modes);
      options(byId('visit-contact'), ref.contact);
      options(byId('encounter-health'), ref.health, '未填写');
      byId('encounter-actions').innerHTML = ref.actions.map(function (a) {
        return '<div class="form-check"><input class="form-check-input" type="checkbox" name="actions" value="' +
          escapeHtml(a[0]) + '" id="action-' + escapeHtml(a[0]) + '"><label class="form-check-label" for="action-' +
          escapeHtml(a[0]) + '">' + escapeHtml(a[1]) + '</label></div>';
      }).join('');
    }
    var township = byId('patrol-township');
    var keep = township.value;
    options(township, (data ? data.townships : []).map(function (t) { return [t.id, t.name]; }));
    if (keep) { township.value = keep; }
    var groupSelect = byId('session-group');
    var chosenGroup = groupSelect.value;
    options(groupSelect, (usable ? data.groups : []).map(function (g) { return [g.id, g.title + '（已 ' + g.sessions + ' 节）']; }),
            '请选择（我带领的小组）');
    groupSelect.value = chosenGroup;
    byId('people-list').innerHTML = people.map(function (p) {
      var visits = p.last_visits.map(function (v) { return v.at.slice(5) + ' ' + v.mode; }).join('、') || '近期未探访';
      var due = p.due.map(function (d) { return d.policy + ' ' + d.ends.slice(5) + ' 前'; }).join('、');
      return '<li class="list-group-item py-2"><strong>' + escapeHtml(p.name) + '</strong> ' +
        escapeHtml(p.categories.join('、')) + (p.risk_label ? ' · 风险' + escapeHtml(p.risk_label) : '') +
        '<br>' + escapeHtml((p.community || '') + ' ' + (p.address || '')) +
        '<br>最近探访：' + escapeHtml(visits) + (due ? '<br>应访：' + escapeHtml(due) : '') + '</li>';
    }).join('') || '<li class="list-group-item text-muted">' + (data && expired(data) ? '名单已过期，请联网刷新。' : '暂无。') + '</li>';
    showPerson();
  }

  function showPerson() {
    var p = person(byId('visit-person').value);
    byId('visit-person-info').textContent = p ? (p.address || '') + (p.last_visits.length ? '；最近探访 ' + p.last_visits[0].at : '') : '';
  }

  function showAttendance() {
    var g = group(byId('session-group').value);
    var box = byId('session-attendance');
    if (!g) { box.textContent = '请先选择小组。'; return; }
    box.innerHTML = g.members.map(function (name, i) {
      return '<div class="form-check"><input class="form-check-input" type="checkbox" name="attendance" checked value="' +
        escapeHtml(name) + '" id="member-' + i + '"><label class="form-check-label" for="member-' + i + '">' +
        escapeHtml(name) + '</label></div>';
    }).join('') || '该小组尚未登记成员。';
  }

  function loadStored() {
    return getOne('data', 'current').then(function (found) {
      if (found && found.owner !== owner) { return remove('data', 'current').then(function () { return null; }); }
      return found || null;
    }).then(function (found) { data = found; render(); }).catch(function () { render(); });
  }

  function signedOut() {
    say('登录已过期或账户状态已变化，手机上的对象名单已清除。待同步的记录仍保存在本机，重新登录后会自动继续同步。', 'warning', true);
  }

  function refresh() {
    if (navigator.onLine === false) { return Promise.resolve(false); }
    return fetch('data', { credentials: 'same-origin', headers: { Accept: 'application/json' }, redirect: 'manual' })
      .then(function (response) {
        if (response.status === 401 || response.type === 'opaqueredirect') {
          data = null;
          return wipe().then(function () { render(); signedOut(); return false; });
        }
        if (!response.ok) { throw new Error('status ' + response.status); }
        return response.json().then(function (found) {
          if (found.owner !== owner) { window.location.reload(); return false; }
          found.key = 'current';
          csrf = found.csrf || csrf;
          data = found;
          render();
          return put('data', found).then(function () { return true; }, function () {
            say('手机存储空间不足，名单只能在本次打开时使用。请清理手机存储空间。', 'warning');
            return true;
          });
        });
      })
      .catch(function () { return false; });
  }

  // ---------------------------------------------------------------- recording

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(file); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(file); };
      image.src = url;
    });
  }

  function asDataUrl(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(file);
    });
  }

  function photosOf(input) {
    var files = Array.prototype.slice.call(input.files || []);
    return Promise.all(files.map(function (file) {
      return loadImage(file).catch(function () {
        throw new Error('无法读取照片“' + file.name + '”（可能已损坏或格式不支持）。请重新拍摄或选择其他照片，其他内容仍在表单中。');
      }).then(function () {
        return window.mzShrinkPhoto ? window.mzShrinkPhoto(file) : file;
      }).then(function (small) {
        return asDataUrl(small).then(function (url) { return { name: small.name || file.name, data: url }; });
      });
    }));
  }

  function field(form, name) { return form.elements[name]; }
  function value(form, name) { var el = field(form, name); return el ? el.value.trim() : ''; }
  function checked(form, name) {
    return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (el) { return el.checked; })
      .map(function (el) { return el.value; });
  }

  function collect(kind, form) {
    if (kind === 'visit') {
      var p = person(value(form, 'person'));
      if (!p) { throw new Error('请选择探访对象。'); }
      return { data: { person: p.id, visited_at: value(form, 'visited_at'), mode: value(form, 'mode'),
                       contact: value(form, 'contact'), notes: value(form, 'notes'), findings: value(form, 'findings') },
               based_on: p.based_on, label: p.name + ' ' + value(form, 'visited_at').replace('T', ' ') };
    }
    if (kind === 'patrol') {
      var encounters = [];
      if (value(form, 'description')) {
        encounters.push({ description: value(form, 'description'), minor: field(form, 'minor').checked,
                          health_state: value(form, 'health_state') || null, actions: checked(form, 'actions'),
                          items_given: value(form, 'items_given'), no_call_reason: value(form, 'no_call_reason'),
                          outcome: value(form, 'outcome') });
      }
      if (!value(form, 'places')) { throw new Error('请填写巡查地点。'); }
      return { data: { patrol_date: value(form, 'patrol_date'), start_time: value(form, 'start_time'),
                       end_time: value(form, 'end_time'), township: value(form, 'township'), places: value(form, 'places'),
                       summary: value(form, 'summary'), encounters: encounters },
               based_on: {}, label: value(form, 'patrol_date') + ' ' + value(form, 'places') };
    }
    var g = group(value(form, 'group'));
    if (!g) { throw new Error('请选择小组。'); }
    return { data: { group: g.id, session_date: value(form, 'session_date'), hours: value(form, 'hours'),
                     topic: value(form, 'topic'), content: value(form, 'content'), attendance: checked(form, 'attendance') },
             based_on: { group: g.id, version: g.version }, label: g.title + ' ' + value(form, 'session_date') };
  }

  function defaults(kind, form) {
    var now = new Date();
    var stamp = localStamp(now);
    if (kind === 'visit') { field(form, 'visited_at').value = stamp.slice(0, 16); }
    if (kind === 'patrol') { field(form, 'patrol_date').value = stamp.slice(0, 10); }
    if (kind === 'session') { field(form, 'session_date').value = stamp.slice(0, 10); }
  }

  function storageError(error) {
    var full = error && (error.name === 'QuotaExceededError' || /quota/i.test(String(error.message || error)));
    return full ? '手机存储空间已满，这条记录没有保存到本机。请删除手机中不需要的照片或文件后再点“保存到本机”，您填写的内容仍在表单中。'
      : '这条记录没有保存到本机（浏览器存储不可用）。您填写的内容仍在表单中，请重试。';
  }

  function record(form) {
    var kind = form.getAttribute('data-kind');
    var item;
    try { item = collect(kind, form); } catch (error) { say(error.message, 'danger'); return Promise.resolve(); }
    var input = field(form, 'photos');
    var before = editing[kind];
    return (input ? photosOf(input) : Promise.resolve([])).then(function (photos) {
      var queued = {
        id: before ? before.id : newId(), owner: owner, kind: kind,
        recorded_at: before ? before.recorded_at : localStamp(new Date()),
        data: item.data, based_on: before ? before.based_on : item.based_on, label: item.label,
        photos: photos.length || !before ? photos : before.photos, state: 'pending', message: '', choices: [], force: false
      };
      return put('queue', queued).then(function () {
        delete editing[kind];
        form.reset();
        defaults(kind, form);
        showAttendance();
        say('已保存到本机（' + KIND_LABELS[kind] + '：' + queued.label + '）' +
            (navigator.onLine === false ? '，恢复网络后自动同步。' : '，正在同步…'), 'success');
        return showQueue().then(function () { if (navigator.onLine !== false) { return sync(); } });
      }, function (error) { say(storageError(error), 'danger'); });
    }, function (error) { say(error.message, 'danger'); });
  }

  // ---------------------------------------------------------------- the queue

  function mine(items) { return (items || []).filter(function (i) { return i.owner === owner; }); }

  function showQueue() {
    return getAll('queue').then(function (all) {
      var items = mine(all);
      var others = (all || []).length - items.length;
      byId('queue-count').textContent = String(items.length);
      byId('queue-list').innerHTML = items.map(function (item) {
        var buttons = [];
        var choices = item.state === 'refused' ? ['change', 'discard'] : (item.state === 'conflict' ? item.choices : []);
        var labels = { save: '仍然保存', change: '修改', discard: '放弃' };
        choices.forEach(function (c) {
          buttons.push('<button type="button" class="btn btn-sm btn-outline-primary mr-1 mt-1 queue-choice" data-choice="' + c +
                       '" data-id="' + escapeHtml(item.id) + '">' + labels[c] + '</button>');
        });
        var tone = { refused: 'danger', conflict: 'warning' }[item.state] || 'secondary';
        return '<li class="list-group-item py-2 queue-item" data-id="' + escapeHtml(item.id) + '" data-state="' + item.state + '">' +
          '<span class="badge badge-' + tone + ' queue-state">' + STATE_LABELS[item.state] + '</span> ' +
          escapeHtml(KIND_LABELS[item.kind] + '：' + item.label) + (item.photos && item.photos.length ? '（照片 ' + item.photos.length + ' 张）' : '') +
          (item.message ? '<div class="small mt-1 queue-message">' + escapeHtml(item.message) + '</div>' : '') +
          (buttons.length ? '<div>' + buttons.join('') + '</div>' : '') + '</li>';
      }).join('') + (others > 0 ? '<li class="list-group-item small text-muted">另有 ' + others + ' 条其他账户录入的记录，需其本人登录后同步。</li>' : '');
      return items;
    }).catch(function () { return []; });
  }

  function choose(id, choice) {
    return getOne('queue', id).then(function (item) {
      if (!item) { return null; }
      if (choice === 'discard') {
        if (!window.confirm('确定放弃这条记录？放弃后无法恢复。')) { return null; }
        return remove('queue', id).then(function () { say('已放弃这条记录。', 'info'); });
      }
      if (choice === 'save') {
        item.force = true;
        item.state = 'pending';
        return put('queue', item).then(function () { return sync(); });
      }
      edit(item);
      return null;
    }).then(showQueue);
  }

  function edit(item) {
    var form = byId('form-' + item.kind);
    openTab(item.kind);
    editing[item.kind] = item;
    Object.keys(item.data).forEach(function (name) {
      var el = form.elements[name];
      if (el && typeof item.data[name] !== 'object' && el.type !== 'file') { el.value = item.data[name]; }
    });
    if (item.kind === 'session') {
      showAttendance();
      Array.prototype.forEach.call(form.querySelectorAll('input[name="attendance"]'), function (el) {
        el.checked = item.data.attendance.indexOf(el.value) >= 0;
      });
    }
    if (item.kind === 'patrol' && item.data.encounters.length) {
      var e = item.data.encounters[0];
      ['description', 'health_state', 'items_given', 'no_call_reason', 'outcome'].forEach(function (n) { form.elements[n].value = e[n] || ''; });
      form.elements.minor.checked = !!e.minor;
      Array.prototype.forEach.call(form.querySelectorAll('input[name="actions"]'), function (el) { el.checked = e.actions.indexOf(el.value) >= 0; });
    }
    showPerson();
    say('请修改后点“保存到本机”（已有的照片会保留，除非重新选择）。', 'info');
  }

  function send(item) {
    var payload = { id: item.id, kind: item.kind, recorded_at: item.recorded_at, data: item.data,
                    based_on: item.based_on, photos: item.photos, force: !!item.force };
    return fetch('sync', {
      method: 'POST', credentials: 'same-origin', redirect: 'manual',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrf },
      body: JSON.stringify({ items: [payload] })
    });
  }

  /* Send one item; resolves to "next" (go on), or a reason to stop ("offline", "signed-out", "server"). */
  function syncOne(item, retried) {
    item.state = 'sending';
    return put('queue', item).then(function () { return showQueue(); }).then(function () { return send(item); }).then(function (response) {
      if (response.status === 401 || response.type === 'opaqueredirect') { return back(item, 'signed-out'); }
      if (response.status === 400 && !retried) {
        return response.json().then(function (body) {
          if (body && body.csrf) { return refresh().then(function () { return syncOne(item, true); }); }
          return back(item, 'server', body && body.error);
        }, function () { return back(item, 'server'); });
      }
      if (!response.ok) { return back(item, 'server'); }
      return response.json().then(function (body) {
        var result = body.results && body.results[0];
        if (!result) { return back(item, 'server'); }
        if (result.state === 'saved') { return remove('queue', item.id).then(function () { return 'saved'; }); }
        item.state = result.state;
        item.message = result.message;
        item.choices = result.choices || [];
        item.force = false;
        return put('queue', item).then(function () { return 'next'; });
      });
    }, function () { return back(item, 'offline'); });
  }

  function back(item, reason, message) {
    item.state = 'pending';
    if (message) { item.message = message; }
    return put('queue', item).then(function () { return reason; }, function () { return reason; });
  }

  var STOPS = {
    offline: '同步中断（网络断开）。未同步的记录仍保存在本机，恢复网络后会自动继续。',
    server: '服务器暂时出错，未同步的记录仍保存在本机，稍后会自动重试，也可点“立即同步”。'
  };

  function sync() {
    if (syncing) { return Promise.resolve(); }
    if (navigator.onLine === false) { say('当前没有网络，记录保存在本机，恢复网络后自动同步。', 'warning'); return Promise.resolve(); }
    syncing = true;
    var saved = 0;
    return getAll('queue').then(function (all) {
      var items = mine(all).filter(function (i) { return i.state === 'pending' || i.state === 'sending'; });
      var step = function (index) {
        if (index >= items.length) { return Promise.resolve('done'); }
        return syncOne(items[index], false).then(function (outcome) {
          if (outcome === 'saved') { saved += 1; }
          return outcome === 'saved' || outcome === 'next' ? step(index + 1) : outcome;
        });
      };
      return step(0);
    }).then(function (outcome) {
      syncing = false;
      return showQueue().then(function (left) {
        var held = left.filter(function (i) { return i.state === 'conflict' || i.state === 'refused'; }).length;
        if (outcome === 'signed-out') { signedOut(); } else if (STOPS[outcome]) { say(STOPS[outcome], 'warning'); } else if (saved || held) {
          say((saved ? '已同步 ' + saved + ' 条。' : '') + (held ? held + ' 条需要您处理（见“待同步”中的说明）。' : ''), held ? 'warning' : 'success');
        }
      });
    }, function () { syncing = false; say('读取本机记录失败，请重新打开本页。', 'danger'); });
  }

  // ---------------------------------------------------------------- start

  function openTab(kind) {
    Array.prototype.forEach.call(document.querySelectorAll('.field-form'), function (form) {
      form.hidden = form.getAttribute('data-kind') !== kind;
    });
    Array.prototype.forEach.call(document.querySelectorAll('.field-tab'), function (tab) {
      var on = tab.getAttribute('data-tab') === kind;
      tab.classList.toggle('active', on);
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
    });
  }

  function cacheShell() {
    if (!window.caches) { return; }
    var urls = [window.location.pathname];
    Array.prototype.forEach.call(document.querySelectorAll('link[rel="stylesheet"], link[rel="manifest"], script[src]'), function (el) {
      urls.push(el.getAttribute('href') || el.getAttribute('src'));
    });
    window.caches.open(CACHE).then(function (cache) { return cache.addAll(urls); }).catch(function () { return null; });
  }

  Array.prototype.forEach.call(document.querySelectorAll('.field-tab'), function (tab) {
    tab.addEventListener('click', function () { openTab(tab.getAttribute('data-tab')); });
  });
  Array.prototype.forEach.call(document.querySelectorAll('.field-form'), function (form) {
    defaults(form.getAttribute('data-kind'), form);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (form._busy) { return; }  // a double tap keeps one record, not two
      form._busy = true;
      record(form).then(function () { form._busy = false; }, function () { form._busy = false; });
    });
  });
  byId('visit-person').addEventListener('change', showPerson);
  byId('session-group').addEventListener('change', showAttendance);
  byId('sync-now').addEventListener('click', function () { refresh().then(sync); });
  byId('queue-list').addEventListener('click', function (event) {
    var button = event.target.closest('.queue-choice');
    if (button) { choose(button.getAttribute('data-id'), button.getAttribute('data-choice')); }
  });
  window.addEventListener('online', function () { showNetwork(); refresh().then(sync); });
  window.addEventListener('offline', showNetwork);
  openTab('visit');
  showNetwork();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch(function () { return null; });
  }
  loadStored().then(showQueue).then(function () {
    cacheShell();
    return refresh();
  }).then(function () { return sync(); }).then(function () { app.setAttribute('data-ready', '1'); });
})();
