/* The patrol form's encounters: when 未成年人 is ticked, or a health state is chosen that a
   street-rescue rule names, the rule's text shows at once beside 处置 and the call it asks
   for (报警110, 呼叫120) is ticked; the worker can still untick it and write the reason.
   The rules are the rule set's, written into the page (#rescue-rules). */
(function () {
  'use strict';
  var source = document.getElementById('rescue-rules');
  var rules = [];
  try { rules = JSON.parse(source ? source.textContent : '[]') || []; } catch (e) { rules = []; }

  function field(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function applicable(row) {
    var minor = field(row, 'minor');
    var health = field(row, 'health_state');
    return rules.filter(function (rule) {
      return (rule.minor && minor && minor.checked) ||
        (health && (rule.health_states || []).indexOf(health.value) !== -1);
    });
  }

  function hintOf(row) {
    var group = row.querySelector('.check-group[data-field="actions"]');
    if (!group) { return null; }
    var hint = group.parentNode.querySelector('.rescue-rule');
    if (!hint) {
      hint = document.createElement('div');
      hint.className = 'rescue-rule alert alert-warning';
      hint.setAttribute('role', 'status');
      hint.setAttribute('aria-live', 'polite');
      hint.hidden = true;
      group.parentNode.insertBefore(hint, group);
    }
    return hint;
  }

  function update(row, tick) {
    var hint = hintOf(row);
    if (!hint) { return; }
    var found = applicable(row);
    var before = (row.getAttribute('data-rescue-rules') || '').split(' ');
    hint.textContent = '';
    found.forEach(function (rule) {
      var line = document.createElement('div');
      line.className = 'rescue-rule-text';
      line.setAttribute('data-rule', rule.code);
      line.textContent = rule.text;
      hint.appendChild(line);
      if (tick && before.indexOf(rule.code) === -1) {
        var box = row.querySelector('.check-group[data-field="actions"] input[value="' + rule.action + '"]');
        if (box && !box.checked) {
          box.checked = true;
          box.dispatchEvent(new Event('change', { bubbles: true }));
        }
      }
    });
    hint.hidden = !found.length;
    row.setAttribute('data-rescue-rules', found.map(function (r) { return r.code; }).join(' '));
  }

  function changed(event) {
    var name = event.target.name || '';
    if (!/-(minor|health_state)$/.test(name)) { return; }
    var row = event.target.closest('.inline-field-list > .inline-field');
    if (row) { update(row, true); }
  }
  // through jQuery where it is loaded: a restored draft announces its values with jQuery's change
  if (window.jQuery) {
    window.jQuery(document).on('change', changed);
  } else {
    document.addEventListener('change', changed);
  }

  function all() {
    Array.prototype.forEach.call(document.querySelectorAll('.inline-field-list > .inline-field'), function (row) {
      update(row, false);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', all);
  } else {
    all();
  }
})();
