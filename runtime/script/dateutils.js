// `require("libs/dateutils.js")`: the platform's small date library. It
// defines two globals (in the calling script's environment):
//   fn_convertDate(date, fromFormat, toFormat)  re-formats a date string
//   fn_getDate(dayOffset, format)               today (UTC) plus dayOffset days
// Formats use yyyy, yy, MM, M, dd, d, HH, H, mm, m, ss, s and SSS; any other
// character is literal. Dates are calendar values in UTC. A date that does
// not match its format throws an Error naming both.
var fn_convertDate, fn_getDate;
(function () {
  'use strict';
  var TOKENS = /yyyy|yy|MM|M|dd|d|HH|H|mm|m|ss|s|SSS/g;
  var FIELDS = {
    yyyy: ['year', '\\d{4}'], yy: ['year2', '\\d{2}'], MM: ['month', '\\d{2}'],
    M: ['month', '\\d{1,2}'], dd: ['day', '\\d{2}'], d: ['day', '\\d{1,2}'],
    HH: ['hour', '\\d{2}'], H: ['hour', '\\d{1,2}'], mm: ['minute', '\\d{2}'],
    m: ['minute', '\\d{1,2}'], ss: ['second', '\\d{2}'], s: ['second', '\\d{1,2}'],
    SSS: ['millisecond', '\\d{3}']
  };
  function escape(text) { return text.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&'); }
  function pad(value, width) {
    var text = String(value);
    while (text.length < width) text = '0' + text;
    return text;
  }
  function parse(text, format) {
    var names = [];
    var pattern = '';
    var last = 0;
    format.replace(TOKENS, function (token, offset) {
      pattern += escape(format.slice(last, offset)) + '(' + FIELDS[token][1] + ')';
      names.push(FIELDS[token][0]);
      last = offset + token.length;
      return token;
    });
    pattern += escape(format.slice(last));
    var match = new RegExp('^' + pattern + '$').exec(String(text));
    if (!match) {
      throw new Error('fn_convertDate: "' + text + '" does not match the format "' + format + '"');
    }
    var f = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 };
    for (var i = 0; i < names.length; i++) {
      var value = parseInt(match[i + 1], 10);
      if (names[i] === 'year2') f.year = value < 70 ? 2000 + value : 1900 + value;
      else f[names[i]] = value;
    }
    var date = new Date(Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second,
                                 f.millisecond));
    if (date.getUTCMonth() !== f.month - 1 || date.getUTCDate() !== f.day) {
      throw new Error('fn_convertDate: "' + text + '" is not a calendar date');
    }
    return date;
  }
  function format(date, pattern) {
    var values = {
      yyyy: pad(date.getUTCFullYear(), 4), yy: pad(date.getUTCFullYear() % 100, 2),
      MM: pad(date.getUTCMonth() + 1, 2), M: String(date.getUTCMonth() + 1),
      dd: pad(date.getUTCDate(), 2), d: String(date.getUTCDate()),
      HH: pad(date.getUTCHours(), 2), H: String(date.getUTCHours()),
      mm: pad(date.getUTCMinutes(), 2), m: String(date.getUTCMinutes()),
      ss: pad(date.getUTCSeconds(), 2), s: String(date.getUTCSeconds()),
      SSS: pad(date.getUTCMilliseconds(), 3)
    };
    return String(pattern).replace(TOKENS, function (token) { return values[token]; });
  }
  fn_convertDate = function (date, fromFormat, toFormat) {
    return format(parse(date, String(fromFormat)), toFormat);
  };
  fn_getDate = function (dayOffset, pattern) {
    var offset = Number(dayOffset) || 0;
    return format(new Date(Date.now() + offset * 86400000), pattern === undefined ? 'yyyy-MM-dd' : pattern);
  };
})();
