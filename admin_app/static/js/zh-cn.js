/* Chinese for the date pickers (moment + daterangepicker) and select widgets. */
(function () {
  if (window.moment && moment.defineLocale) {
    var months = '一月_二月_三月_四月_五月_六月_七月_八月_九月_十月_十一月_十二月'.split('_');
    moment.defineLocale('zh-cn', {
      months: months,
      monthsShort: '1月_2月_3月_4月_5月_6月_7月_8月_9月_10月_11月_12月'.split('_'),
      weekdays: '星期日_星期一_星期二_星期三_星期四_星期五_星期六'.split('_'),
      weekdaysShort: '周日_周一_周二_周三_周四_周五_周六'.split('_'),
      weekdaysMin: '日_一_二_三_四_五_六'.split('_'),
      week: { dow: 1, doy: 4 }
    });
    moment.locale('zh-cn');
  }
  var $ = window.jQuery;
  if (!$) { return; }
  var labels = {
    applyLabel: '确定', cancelLabel: '取消', fromLabel: '从', toLabel: '至',
    customRangeLabel: '自定义', weekLabel: '周', firstDay: 1,
    daysOfWeek: '日_一_二_三_四_五_六'.split('_'),
    monthNames: '1月_2月_3月_4月_5月_6月_7月_8月_9月_10月_11月_12月'.split('_')
  };
  function wrapDatePicker() {
    if (!$.fn.daterangepicker || $.fn.daterangepicker._zh) { return; }
    var original = $.fn.daterangepicker;
    $.fn.daterangepicker = function (options, callback) {
      options = $.extend(true, {}, options || {});
      options.locale = $.extend({}, labels, options.locale || {});
      return original.call(this, options, callback);
    };
    $.fn.daterangepicker._zh = true;
  }
  function localiseSelect2() {
    if (!$.fn.select2 || !$.fn.select2.defaults || $.fn.select2._zh) { return; }
    $.extend($.fn.select2.defaults, {
      formatNoMatches: function () { return '没有找到匹配项'; },
      formatInputTooShort: function (input, min) { return '请再输入' + (min - input.length) + '个字符'; },
      formatInputTooLong: function (input, max) { return '请删掉' + (input.length - max) + '个字符'; },
      formatSelectionTooBig: function (limit) { return '最多只能选择' + limit + '项'; },
      formatLoadMore: function () { return '加载更多…'; },
      formatSearching: function () { return '搜索中…'; },
      formatAjaxError: function () { return '加载失败，请重试'; }
    });
    $.fn.select2._zh = true;
  }
  wrapDatePicker();
  localiseSelect2();
  $(function () { wrapDatePicker(); localiseSelect2(); });
})();
