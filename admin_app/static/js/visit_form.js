/* The visit form on a phone: the visited person is shown as a name (the search box comes
   back only on 更换对象), and the photo input is one large 拍照 button with a count. */
(function () {
  'use strict';
  var $ = window.jQuery;

  function showPerson() {
    var input = document.getElementById('people');
    if (!input || !$ || !$(input).data('select2')) { return; }
    var chosen = $(input).select2('data') || [];
    if (!chosen.length) { return; }
    var widget = document.getElementById('s2id_people');
    var box = document.createElement('div');
    box.className = 'visit-person';
    box.id = 'visit-person';
    var names = document.createElement('strong');
    names.textContent = chosen.map(function (c) { return c.text; }).join('、');
    var change = document.createElement('button');
    change.type = 'button';
    change.className = 'btn btn-link btn-tap';
    change.textContent = '更换对象';
    change.addEventListener('click', function () {
      box.parentNode.removeChild(box);
      if (widget) { widget.style.display = ''; }
    });
    box.appendChild(names);
    box.appendChild(change);
    if (widget) {
      widget.style.display = 'none';
      widget.parentNode.insertBefore(box, widget);
    }
  }

  function photoButton() {
    var input = document.getElementById('photo_upload');
    if (!input) { return; }
    var label = document.createElement('label');
    label.className = 'btn btn-primary btn-lg btn-block photo-take';
    label.setAttribute('for', 'photo_upload');
    var text = document.createElement('span');
    text.textContent = '拍照';
    var count = document.createElement('small');
    count.className = 'photo-count d-block';
    label.appendChild(text);
    label.appendChild(count);
    input.parentNode.insertBefore(label, input);
    input.classList.add('photo-input-hidden');
    input.addEventListener('change', function () {
      var n = input.files ? input.files.length : 0;
      count.textContent = n ? '已选 ' + n + ' 张，可再点重拍' : '';
    });
  }

  // after the widgets are set up (drafts.js, loaded on every page before this one)
  window.whenWidgetsReady(function () { showPerson(); photoButton(); });
})();
