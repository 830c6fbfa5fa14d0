/* Nothing typed is lost: every create and edit form keeps a draft in this browser
   (localStorage), restored after a login, a reload, a lost connection or a refused
   save, and dropped once the server says the form was saved. Drafts are keyed by
   the account, the form's address and the record's version; drafts of another
   account on the same phone are removed as soon as someone else signs in.
   Photos are shrunk here before they are sent (long side and JPEG quality from the
   page's settings), and a request that would still be too large is stopped in the
   form with a message instead of being refused by the server. */
(function () {
  'use strict';

  var PREFIX = 'mz-draft:';
  var SKIPPED_TYPES = ['file', 'password', 'submit', 'button', 'reset', 'image'];
  var SKIPPED_NAMES = ['csrf_token', 'record_version'];

  function metaContent(name) {
    var tag = document.querySelector('meta[name="' + name + '"]');
    return tag ? tag.getAttribute('content') : null;
  }

  var owner = metaContent('draft-owner');
  var settingsTag = document.querySelector('meta[name="upload-settings"]');
  var settings = {
    maxBytes: settingsTag ? Number(settingsTag.getAttribute('data-max-bytes')) : 0,
    longSide: settingsTag ? Number(settingsTag.getAttribute('data-long-side')) : 0,
    quality: settingsTag ? Number(settingsTag.getAttribute('data-quality')) / 100 : 0.85,
    draftDays: settingsTag ? Number(settingsTag.getAttribute('data-draft-days')) : 7
  };

  function openStorage() {
    try {
      var storage = window.localStorage;
      storage.setItem(PREFIX + 'probe', '1');
      storage.removeItem(PREFIX + 'probe');
      return storage;
    } catch (e) {
      return null;
    }
  }
  var storage = openStorage();

  /* The form's address without the return address (the same form opened from
     two lists is one form), its arguments in a fixed order. */
  function normalise(href) {
    var address = new URL(href, window.location.href);
    var pairs = [];
    address.searchParams.forEach(function (value, key) {
      if (key !== 'url') { pairs.push([key, value]); }
    });
    pairs.sort(function (a, b) { return a[0] < b[0] ? -1 : (a[0] > b[0] ? 1 : 0); });
    var query = pairs.map(function (p) { return encodeURIComponent(p[0]) + '=' + encodeURIComponent(p[1]); });
    return address.pathname + (query.length ? '?' + query.join('&') : '');
  }

  function draftKeys() {
    var keys = [];
    for (var i = 0; i < storage.length; i++) {
      var key = storage.key(i);
      if (key && key.indexOf(PREFIX) === 0 && key !== PREFIX + 'probe') { keys.push(key); }
    }
    return keys;
  }

  /* Another account's drafts, and drafts older than the kept days, are removed. */
  function sweep() {
    var oldest = Date.now() - settings.draftDays * 86400000;
    draftKeys().forEach(function (key) {
      var keyOwner = key.slice(PREFIX.length).split('|')[0];
      var draft = null;
      try { draft = JSON.parse(storage.getItem(key)); } catch (e) { draft = null; }
      if (keyOwner !== owner || !draft || !draft.savedAt || draft.savedAt < oldest) { storage.removeItem(key); }
    });
  }

  /* The server names the forms just saved: their drafts are done with. */
  function dropSaved() {
    var tags = document.querySelectorAll('meta[name="draft-saved"]');
    Array.prototype.forEach.call(tags, function (tag) {
      var start = PREFIX + owner + '|' + normalise(tag.getAttribute('content')) + '|';
      draftKeys().forEach(function (key) { if (key.indexOf(start) === 0) { storage.removeItem(key); } });
    });
  }

  function keyOf(form) {
    var version = form.querySelector('[name="record_version"]');
    return PREFIX + owner + '|' + normalise(form.action || window.location.href) + '|' + (version ? version.value : '');
  }

  function isAjaxSelect(el) { return el.getAttribute('data-role') === 'select2-ajax'; }

  function kept(el) {
    if (!el.name || el.disabled || SKIPPED_NAMES.indexOf(el.name) >= 0 || /__pending$/.test(el.name)) { return false; }
    var type = (el.type || '').toLowerCase();
    if (SKIPPED_TYPES.indexOf(type) >= 0) { return false; }
    return type !== 'hidden' || isAjaxSelect(el);
  }

  function fieldsOf(form) { return Array.prototype.filter.call(form.elements, kept); }

  function valueOf(el) {
    var type = (el.type || '').toLowerCase();
    if (type === 'checkbox' || type === 'radio') { return el.checked; }
    if (el.tagName === 'SELECT' && el.multiple) {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
    }
    if (isAjaxSelect(el) && window.jQuery && window.jQuery(el).data('select2')) {
      return { value: el.value, data: window.jQuery(el).select2('data') };
    }
    return el.value;
  }

  /* One entry per element, in the form's order (names repeat for check boxes). */
  function collect(form) {
    return fieldsOf(form).map(function (el) {
      return { name: el.name, tag: el.tagName, type: (el.type || '').toLowerCase(), option: el.value, value: valueOf(el) };
    });
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function apply(form, entries) {
    var elements = fieldsOf(form);
    var changed = false;
    var used = {};
    entries.forEach(function (entry) {
      var el = null;
      for (var i = 0; i < elements.length; i++) {
        var candidate = elements[i];
        if (used[i] || candidate.name !== entry.name) { continue; }
        if ((entry.type === 'checkbox' || entry.type === 'radio') && candidate.value !== entry.option) { continue; }
        el = candidate;
        used[i] = true;
        break;
      }
      if (!el) { return; }
      var current = valueOf(el);
      if (isAjaxSelect(el) && entry.value && typeof entry.value === 'object' && !Array.isArray(entry.value)) {
        if (current && typeof current === 'object' && current.value === entry.value.value) { return; }
        if (!entry.value.value && !el.value) { return; }
        if (window.jQuery && window.jQuery(el).data('select2')) {
          window.jQuery(el).select2('data', entry.value.data);
        }
        el.value = entry.value.value;
        changed = true;
        return;
      }
      if (same(current, entry.value)) { return; }
      if (entry.type === 'checkbox' || entry.type === 'radio') {
        el.checked = !!entry.value;
      } else if (el.tagName === 'SELECT' && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = entry.value.indexOf(o.value) >= 0; });
      } else {
        el.value = entry.value;
      }
      changed = true;
      if (window.jQuery) { window.jQuery(el).trigger('change'); } else { el.dispatchEvent(new Event('change', { bubbles: true })); }
    });
    return changed;
  }

  /* Only a form the user has touched (or that got a draft back) is written: a form
     shown again after a refused save keeps the draft of the submission as it is. */
  function save(form) {
    if (!form._draftReady || !form._draftDirty) { return; }
    try {
      storage.setItem(keyOf(form), JSON.stringify({ savedAt: Date.now(), fields: collect(form) }));
    } catch (e) { /* the browser's storage is full: the server still keeps what is sent */ }
  }

  function notice(form, text, kind, withDiscard) {
    var old = form.querySelector('.form-notice-' + kind);
    if (old) { old.parentNode.removeChild(old); }
    var box = document.createElement('div');
    box.className = 'alert alert-' + (kind === 'draft' ? 'info' : 'danger') + ' form-notice form-notice-' + kind;
    box.setAttribute('role', kind === 'draft' ? 'status' : 'alert');
    var span = document.createElement('span');
    span.textContent = text;
    box.appendChild(span);
    if (withDiscard) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-sm btn-outline-secondary ml-2 draft-discard';
      button.textContent = '放弃草稿';
      button.addEventListener('click', function () {
        storage.removeItem(keyOf(form));
        form._draftReady = false;
        window.location.href = window.location.href;  // the form as the server gives it
      });
      box.appendChild(button);
    }
    form.insertBefore(box, form.firstChild);
    return box;
  }

  function setUp(form) {
    var raw = storage.getItem(keyOf(form));
    form._draftReady = true;
    if (raw) {
      var draft = null;
      try { draft = JSON.parse(raw); } catch (e) { draft = null; }
      if (draft && draft.fields && apply(form, draft.fields)) {
        form._draftDirty = true;
        notice(form, '已恢复未保存的内容', 'draft', true);
      }
    }
    var timer = null;
    var later = function () {
      form._draftDirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { save(form); }, 300);
    };
    if (window.jQuery) {
      window.jQuery(form).on('input change', later);
    } else {
      form.addEventListener('input', later);
      form.addEventListener('change', later);
    }
    window.addEventListener('pagehide', function () { save(form); });
  }

  // ---------------------------------------------------------------- photos

  function imageInputs(form) {
    return Array.prototype.filter.call(form.querySelectorAll('input[type="file"]'), function (input) {
      return (input.getAttribute('accept') || '').indexOf('image') >= 0;
    });
  }

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error('not an image')); };
      image.src = url;
    });
  }

  /* The Exif block of a JPEG (its capture time is kept on the record), with the
     orientation set to "as stored": the canvas has already turned the picture. */
  function exifOf(buffer) {
    var bytes = new DataView(buffer);
    if (bytes.byteLength < 4 || bytes.getUint16(0) !== 0xFFD8) { return null; }
    var offset = 2;
    while (offset + 4 <= bytes.byteLength) {
      var marker = bytes.getUint16(offset);
      var length = bytes.getUint16(offset + 2);
      if (marker === 0xFFE1 && bytes.getUint32(offset + 4) === 0x45786966) {  // "Exif"
        var segment = buffer.slice(offset, offset + 2 + length);
        uprightOrientation(new DataView(segment));
        return segment;
      }
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return null; }
      offset += 2 + length;
    }
    return null;
  }

  function uprightOrientation(view) {
    var tiff = 10;  // marker (2), length (2), "Exif\0\0" (6)
    if (view.byteLength < tiff + 8) { return; }
    var little = view.getUint16(tiff) === 0x4949;
    var ifd = tiff + view.getUint32(tiff + 4, little);
    if (ifd + 2 > view.byteLength) { return; }
    var count = view.getUint16(ifd, little);
    for (var i = 0; i < count; i++) {
      var entry = ifd + 2 + i * 12;
      if (entry + 12 > view.byteLength) { return; }
      if (view.getUint16(entry, little) === 0x0112) { view.setUint16(entry + 8, 1, little); return; }
    }
  }

  function withExif(jpeg, exif) {
    if (!exif) { return Promise.resolve(jpeg); }
    return jpeg.arrayBuffer().then(function (buffer) {
      return new Blob([buffer.slice(0, 2), exif, buffer.slice(2)], { type: 'image/jpeg' });
    });
  }

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !settings.longSide) { return Promise.resolve(file); }
    return loadImage(file).then(function (image) {
      var longSide = Math.max(image.naturalWidth, image.naturalHeight);
      var small = longSide <= settings.longSide && (!settings.maxBytes || file.size <= settings.maxBytes / 8);
      if (small) { return file; }
      var scale = Math.min(1, settings.longSide / longSide);
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(image.naturalWidth * scale);
      canvas.height = Math.round(image.naturalHeight * scale);
      var context = canvas.getContext('2d');
      context.fillStyle = '#fff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(resolve, 'image/jpeg', settings.quality);
      }).then(function (jpeg) {
        if (!jpeg) { return file; }
        var exif = file.type === 'image/jpeg' ? file.arrayBuffer().then(exifOf) : Promise.resolve(null);
        return exif.then(function (block) { return withExif(jpeg, block); }).then(function (blob) {
          var name = file.name.replace(/\.[^.]*$/, '') + '.jpg';
          return new File([blob], name, { type: 'image/jpeg', lastModified: file.lastModified });
        });
      });
    }).catch(function () { return file; });
  }

  window.mzShrinkPhoto = shrink;  // the offline capture page (offline.js) shrinks its photos the same way

  function shrinkInput(form, input) {
    if (input._shrinking || !input.files || !input.files.length || !window.DataTransfer) { return; }
    var files = Array.prototype.slice.call(input.files);
    input._shrinking = Promise.all(files.map(shrink)).then(function (smaller) {
      var changed = smaller.some(function (f, i) { return f !== files[i]; });
      if (changed) {
        var transfer = new DataTransfer();
        smaller.forEach(function (f) { transfer.items.add(f); });
        input._settingFiles = true;
        input.files = transfer.files;
        input._settingFiles = false;
      }
      input.setAttribute('data-shrunk', String(smaller.length));
      input._shrinking = null;
    });
  }

  function totalBytes(form) {
    var total = 0;
    Array.prototype.forEach.call(form.querySelectorAll('input[type="file"]'), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { total += f.size; });
    });
    return total;
  }

  function setUpPhotos(form) {
    imageInputs(form).forEach(function (input) {
      input.addEventListener('change', function () { if (!input._settingFiles) { shrinkInput(form, input); } });
    });
    form.addEventListener('submit', function (event) {
      var busy = imageInputs(form).map(function (i) { return i._shrinking; }).filter(Boolean);
      var submitter = event.submitter;
      if (busy.length) {
        event.preventDefault();
        Promise.all(busy).then(function () {
          if (submitter && submitter.name) {
            var carry = document.createElement('input');
            carry.type = 'hidden';
            carry.name = submitter.name;
            carry.value = submitter.value;
            form.appendChild(carry);
          }
          form.requestSubmit ? form.requestSubmit() : form.submit();
        });
        return;
      }
      if (settings.maxBytes && totalBytes(form) > settings.maxBytes * 0.95) {
        event.preventDefault();
        var mb = settings.maxBytes / 1048576;
        var limit = mb >= 1 ? Math.round(mb) + ' MB' : Math.max(1, Math.floor(settings.maxBytes / 1024)) + ' KB';
        notice(form, '所选文件合计超过 ' + limit + '，无法上传。您填写的内容已保留，请少选几张照片或换成较小的文件后再保存。',
               'too-large', false).scrollIntoView();
        return;
      }
      if (navigator.onLine === false) {
        event.preventDefault();
        notice(form, '网络已断开，内容已保存在本机。恢复网络后请再点“保存”。', 'offline', false).scrollIntoView();
      }
    });
  }

  // ---------------------------------------------------------------- start

  function forms() {
    return Array.prototype.filter.call(document.querySelectorAll('form.admin-form, form[data-draft]'), function (form) {
      return (form.getAttribute('method') || '').toLowerCase() === 'post' && !form.hasAttribute('data-no-draft');
    });
  }

  function start() {
    var list = forms();
    list.forEach(setUpPhotos);
    if (!storage || !owner) { return; }
    sweep();
    dropSaved();
    list.forEach(function (form) {
      setUp(form);
      form.addEventListener('submit', function () { save(form); });
    });
  }

  /* Runs ``then`` after every other script has set up its widgets (select2, date pickers):
     jQuery runs its ready handlers after the load event may already have fired, so wait for
     both. The page scripts loaded after this one (visit_form.js) use it too. */
  function whenWidgetsReady(then) {
    function afterWidgets() {
      window.setTimeout(function () {
        if (window.jQuery) { window.jQuery(function () { window.setTimeout(then, 0); }); } else { then(); }
      }, 0);
    }
    if (document.readyState === 'complete') { afterWidgets(); } else { window.addEventListener('load', afterWidgets); }
  }
  window.whenWidgetsReady = whenWidgetsReady;
  whenWidgetsReady(start);
})();
