/* quizgen self-test page: read an answer, mark it with the exports' rule, explain.
 *
 * Marking: a response r is right when |r - exact| <= absolute tolerance, element by
 * element, on rationals (BigInt) and rounded as quizgen.generate.within rounds.
 * Reading: the grammar of quizgen/responses.py (0.25, 1/4, 2.5e-1, .25; vectors
 * "0.1 0.2" or "[0.1, 0.2]"; matrices "1 2; 3 4" or "[[1, 2], [3, 4]]"); nothing typed
 * is ever evaluated as code. tests/test_selftest_browser.py checks both agree.
 */
(function () {
  "use strict";

  var MAX_LENGTH = 2000;
  var MAX_EXPONENT = 300;
  var SPACE = "[ \\t\\r\\n\\f\\v]";
  var NUMBER = "(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?";
  var TOKEN = new RegExp(SPACE + "*(?:([+-]?" + NUMBER + "(?:" + SPACE + "*/" + SPACE + "*[+-]?" + NUMBER + ")?)|([\\[\\](),;]))", "y");
  var DECIMAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;
  var DASHES = /[\u2212\u2013\u2014\uff0d]/g;

  function ResponseError(message) {
    this.message = message;
  }

  // ---- exact rationals: {n, d} with d > 0 ------------------------------------

  function gcd(a, b) {
    if (a < 0n) a = -a;
    while (b !== 0n) {
      var r = a % b;
      a = b;
      b = r;
    }
    return a;
  }

  function rational(n, d) {
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    var g = gcd(n, d);
    return g > 1n ? { n: n / g, d: d / g } : { n: n, d: d };
  }

  function isNumber(value) {
    return !Array.isArray(value);
  }

  function decimal(text, limitExponent) {
    var m = DECIMAL.exec(text);
    if (!m || (m[2] === "" && !m[3])) throw new ResponseError("cannot read '" + text + "'");
    var fraction = m[3] || "";
    if (m[4] !== undefined && limitExponent && Math.abs(parseInt(m[4], 10)) > MAX_EXPONENT) {
      throw new ResponseError("'" + flat(text) + "' is too large or too small; write it as a plain decimal");
    }
    var exponent = (m[4] === undefined ? 0 : parseInt(m[4], 10)) - fraction.length;
    var n = BigInt((m[2] || "0") + fraction);
    if (m[1] === "-") n = -n;
    return exponent >= 0 ? rational(n * 10n ** BigInt(exponent), 1n) : rational(n, 10n ** BigInt(-exponent));
  }

  function literal(text, limitExponent) {
    var parts = text.replace(/[ \t\r\n\f\v]/g, "").split("/");
    var top = decimal(parts[0], limitExponent);
    if (parts.length === 1) return top;
    var bottom = decimal(parts[1], limitExponent);
    if (bottom.n === 0n) throw new ResponseError("'" + flat(text) + "' divides by zero");
    return rational(top.n * bottom.d, top.d * bottom.n);
  }

  /* A number written by the export: "p/q" or an integer for a rational, a decimal of 60
   * significant digits (always with a point or an exponent) for an irrational, which
   * quizgen holds as a sympy Float. */
  function exact(text) {
    if (Array.isArray(text)) return text.map(exact);
    var value = literal(String(text), false);
    value.float = /[.eE]/.test(String(text));
    return value;
  }

  function plain(text) {
    return Array.isArray(text) ? text.map(plain) : literal(String(text), false);
  }

  /* A positive rational rounded to `digits` significant digits, half to even: what Python's
   * Decimal (and sympy's N) give when quizgen.values.to_decimal turns a difference into a Decimal. */
  function roundSignificant(value, digits) {
    var k = digits - 1 - (value.n.toString().length - value.d.toString().length);
    var low = 10n ** BigInt(digits - 1);
    var high = low * 10n;
    for (;;) {
      var top = k >= 0 ? value.n * 10n ** BigInt(k) : value.n;
      var bottom = k >= 0 ? value.d : value.d * 10n ** BigInt(-k);
      var q = top / bottom;
      if (q < low) {
        k += 1;
        continue;
      }
      if (q >= high) {
        k -= 1;
        continue;
      }
      var twice = 2n * (top - q * bottom);
      if (twice > bottom || (twice === bottom && q % 2n === 1n)) q += 1n;
      return k >= 0 ? rational(q, 10n ** BigInt(k)) : rational(q * 10n ** BigInt(-k), 1n);
    }
  }

  /* |value - target| <= tolerance, element by element: quizgen.generate.within. Like it, the
   * difference becomes a Decimal (to 30 significant digits when the target is an irrational,
   * a Float; to 40 when it is a fraction; exactly when it is whole), and then abs() of that
   * Decimal rounds it to the default context's 28 digits. The tolerance is compared as written. */
  function within(value, target, tolerance) {
    if (Array.isArray(target)) {
      if (!Array.isArray(value) || value.length !== target.length) return false;
      for (var i = 0; i < target.length; i++) {
        if (!within(value[i], target[i], tolerance[i])) return false;
      }
      return true;
    }
    if (Array.isArray(value)) return false;
    var n = value.n * target.d - target.n * value.d;
    if (n === 0n) return true;
    var size = rational(n < 0n ? -n : n, value.d * target.d);
    if (target.float) size = roundSignificant(size, 30);
    else if (size.d !== 1n) size = roundSignificant(size, 40);
    return size.n * tolerance.d <= tolerance.n * size.d;
  }

  function zeroLike(tolerance) {
    return Array.isArray(tolerance) ? tolerance.map(zeroLike) : { n: 0n, d: 1n };
  }

  // ---- reading what the student typed ----------------------------------------

  // Text quoted in a hint, on one line, as responses.py writes it.
  function flat(text) {
    return text.replace(/[ \t\r\n\f\v]+/g, " ");
  }

  function tokens(text) {
    var found = [];
    var position = 0;
    while (position < text.length) {
      TOKEN.lastIndex = position;
      var m = TOKEN.exec(text);
      if (m === null) {
        var rest = text.slice(position).replace(/^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g, "");
        var shown = flat(rest.slice(0, 12)) + (rest.length > 12 ? "..." : "");
        throw new ResponseError("cannot read '" + shown + "': type numbers such as 0.25, 1/4 or 2.5e-1");
      }
      found.push(m[1] !== undefined ? { kind: "number", value: literal(m[1], true) } : { kind: m[2] });
      position = TOKEN.lastIndex;
    }
    return found;
  }

  function rowsOf(list) {
    var rows = [[]];
    list.forEach(function (token) {
      if (token.kind === "number") rows[rows.length - 1].push(token.value);
      else if (token.kind === ";") rows.push([]);
      else if (token.kind !== ",") throw new ResponseError("brackets do not match: write [0.1, 0.2] or just 0.1 0.2");
    });
    return rows;
  }

  function bracketed(list) {
    var closing = { "[": "]", "(": ")" };
    function items(position) {
      var opener = list[position].kind;
      var rows = [[]];
      position += 1;
      while (position < list.length) {
        var kind = list[position].kind;
        if (kind === closing[opener]) return [rows.length === 1 ? rows[0] : rows, position + 1];
        if (kind in closing) {
          var inner = items(position);
          rows[rows.length - 1].push(inner[0]);
          position = inner[1];
          continue;
        }
        if (kind === "number") rows[rows.length - 1].push(list[position].value);
        else if (kind === ";") rows.push([]);
        else if (kind !== ",") break;
        position += 1;
      }
      throw new ResponseError("brackets do not match: write [0.1, 0.2] or [[1, 2], [3, 4]]");
    }
    if (!(list[0].kind in closing)) throw new ResponseError("brackets do not match: write [0.1, 0.2] or just 0.1 0.2");
    var result = items(0);
    if (result[1] !== list.length) throw new ResponseError("brackets do not match: put the whole answer in one pair of brackets");
    return result[0];
  }

  function checkShape(value) {
    if (isNumber(value)) return value;
    if (value.length === 0) throw new ResponseError("there is no number between the brackets");
    if (value.every(isNumber)) return value;
    var rows = value.every(function (item) {
      return Array.isArray(item) && item.length > 0 && item.every(isNumber);
    });
    if (rows) {
      if (value.some(function (row) { return row.length !== value[0].length; })) {
        throw new ResponseError("the rows of the matrix have different lengths");
      }
      return value;
    }
    throw new ResponseError("mix of numbers and rows: write a matrix as [[1, 2], [3, 4]] or 1 2; 3 4");
  }

  function parseResponse(text) {
    if (text.length > MAX_LENGTH) throw new ResponseError("that is " + text.length + " characters long; an answer needs far fewer");
    text = text.replace(DASHES, "-").replace(/\u00a0/g, " ").replace(/^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g, "");
    if (!text) throw new ResponseError("type an answer, e.g. 0.25, 1/4 or 0.1 0.2");
    var list = tokens(text);
    var value;
    if (list.some(function (t) { return t.kind === "[" || t.kind === "("; })) {
      value = bracketed(list);
    } else {
      var rows = rowsOf(list);
      if (rows.some(function (row) { return row.length === 0; })) throw new ResponseError("an empty row: put numbers on both sides of each ';'");
      value = rows.length === 1 ? rows[0] : rows;
    }
    if (Array.isArray(value) && value.length === 1 && isNumber(value[0])) return value[0];
    return checkShape(value);
  }

  function flatten(value) {
    if (isNumber(value)) return [value];
    return value.reduce(function (all, item) { return all.concat(flatten(item)); }, []);
  }

  function count(value) {
    var n = flatten(value).length;
    return n === 1 ? "1 number" : n + " numbers";
  }

  /* The response in the answer's shape (as quizgen.responses.fit_shape). */
  function fitShape(value, kind, shape, wanted) {
    if (kind === "integer" || kind === "number") {
      if (isNumber(value)) return value;
      if (flatten(value).length === 1) return flatten(value)[0];
      throw new ResponseError("this answer is one number; you typed " + count(value));
    }
    var flat = flatten(value);
    var size = shape.reduce(function (a, b) { return a * b; }, 1);
    if (flat.length !== size) throw new ResponseError("expected " + wanted + "; you typed " + count(value));
    var matrix = Array.isArray(value) && value.length > 0 && Array.isArray(value[0]);
    if (kind === "vector") {
      if (matrix && value.length !== 1 && value[0].length !== 1) throw new ResponseError("expected " + wanted + ", not a matrix");
      return flat;
    }
    if (matrix && (value.length !== shape[0] || value[0].length !== shape[1])) {
      throw new ResponseError("expected " + wanted + "; you typed a " + value.length + "\u00d7" + value[0].length + " matrix");
    }
    var rows = [];
    for (var r = 0; r < shape[0]; r++) rows.push(flat.slice(r * shape[1], (r + 1) * shape[1]));
    return rows;
  }

  function fractionText(value) {
    if (Array.isArray(value)) return value.map(fractionText);
    return value.d === 1n ? String(value.n) : value.n + "/" + value.d;
  }

  // ---- the hidden part of a variant -------------------------------------------

  /* The hidden part: base64, XOR with the page's keystream (mulberry32), raw deflate, JSON. */
  function unscramble(blob, number) {
    var key = Number(document.body.getAttribute("data-page-key")) >>> 0;
    var state = (Math.imul(number, 0x9e3779b1) ^ key) >>> 0;
    var binary = atob(blob);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      var t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
      bytes[i] = binary.charCodeAt(i) ^ (((t ^ (t >>> 14)) >>> 0) >>> 24);
    }
    var inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Response(inflated).text().then(JSON.parse);
  }

  var secrets = new WeakMap();
  function secret(article) {
    if (!secrets.has(article)) secrets.set(article, unscramble(article.getAttribute("data-secret"), Number(article.getAttribute("data-number"))));
    return secrets.get(article); // a Promise of the hidden part
  }

  // ---- marking one variant ----------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function diagnosis(label, feedbackHtml) {
    var node = element("span", "mistake");
    node.appendChild(document.createTextNode(" It looks like you "));
    node.appendChild(element("b", "", label));
    node.appendChild(document.createTextNode(": "));
    var feedback = element("span", "mistake-feedback");
    feedback.innerHTML = feedbackHtml; // written by quizgen at export time, already escaped
    node.appendChild(feedback);
    return node;
  }

  function markBlanks(article, hidden) {
    var blanks = article.querySelectorAll(".blank");
    var responses = [];
    var complete = true;
    blanks.forEach(function (blank) {
      var input = blank.querySelector("input, textarea");
      var hint = blank.querySelector(".hint");
      var shape = blank.getAttribute("data-shape") ? blank.getAttribute("data-shape").split(",").map(Number) : [];
      var text = input.value;
      if (input.tagName === "TEXTAREA") {
        // one matrix row per line
        text = text.split("\n").filter(function (line) { return /[^ \t\r\f\v]/.test(line); }).join(";");
      }
      try {
        responses.push(fitShape(parseResponse(text), blank.getAttribute("data-kind"), shape, input.getAttribute("data-wanted")));
        hint.textContent = "";
        input.removeAttribute("aria-invalid");
      } catch (error) {
        if (!(error instanceof ResponseError)) throw error;
        responses.push(null);
        hint.textContent = error.message;
        input.setAttribute("aria-invalid", "true");
        complete = false;
      }
    });
    if (!complete) return null;
    var lines = [];
    var right = true;
    blanks.forEach(function (blank, i) {
      var mark = markResponse(hidden.answers[i], responses[i]);
      right = right && mark.right;
      var input = blank.querySelector("input, textarea");
      input.classList.toggle("right", mark.right);
      input.classList.toggle("wrong", !mark.right);
      var label = blank.querySelector("label").firstChild.textContent.trim();
      var line = element("li", mark.right ? "right" : "wrong", (mark.right ? "\u2713 " : "\u2717 ") + label + (mark.right ? ": right" : ": not right"));
      if (mark.off.length && mark.off.length < mark.size) {
        line.textContent += " (element" + (mark.off.length > 1 ? "s " : " ") + mark.off.join(", ") + " of " + mark.size + " off)";
      }
      if (mark.mistake) {
        line.textContent += ".";
        line.appendChild(diagnosis(mark.mistake.label, mark.mistake.feedback));
      }
      lines.push(line);
    });
    return { right: right, lines: lines, always: blanks.length > 1 };
  }

  /* One blank: right or not by the exports' rule, the elements that are off, and the named
   * mistake a wrong response matches (within the answer's tolerance of the mistake's value,
   * or equal to its rounded value), as quizgen.marking.mark_blank. */
  function markResponse(answer, response) {
    var tolerance = plain(answer.tol);
    var target = exact(answer.exact);
    var mark = { right: within(response, target, tolerance), off: [], size: flatten(target).length, mistake: null };
    if (Array.isArray(target)) {
      var flatResponse = flatten(response);
      var flatTolerance = flatten(tolerance);
      flatten(target).forEach(function (t, k) {
        if (!within(flatResponse[k], t, flatTolerance[k])) mark.off.push(k + 1);
      });
    }
    if (mark.right) return mark;
    for (var m = 0; m < answer.mistakes.length; m++) {
      var mistake = answer.mistakes[m];
      var typed = null;
      try {
        typed = plain(mistake.rounded);
      } catch (error) {
        if (!(error instanceof ResponseError)) throw error;
      }
      if (within(response, exact(mistake.exact), tolerance) || (typed !== null && within(response, typed, zeroLike(tolerance)))) {
        mark.mistake = mistake;
        break;
      }
    }
    return mark;
  }

  function markChoice(article, hidden) {
    var chosen = article.querySelector("input[type=radio]:checked");
    if (!chosen) return { incomplete: "Choose one of the options first." };
    var ok = chosen.value === hidden.correct;
    var line = element("li", ok ? "right" : "wrong", ok ? "\u2713 " + chosen.value + ") is right" : "\u2717 " + chosen.value + ") is not right.");
    var wrong = hidden.options[chosen.value];
    if (!ok && wrong) line.appendChild(diagnosis(wrong.label, wrong.feedback));
    return { right: ok, lines: [line], always: false };
  }

  function markMatching(article, hidden) {
    var selects = article.querySelectorAll("select");
    var lines = [];
    var right = true;
    for (var i = 0; i < selects.length; i++) {
      if (selects[i].value === "") return { incomplete: "Choose a partner for every item first." };
    }
    selects.forEach(function (select, i) {
      var ok = Number(select.value) === hidden.pairs[i];
      right = right && ok;
      select.classList.toggle("right", ok);
      select.classList.toggle("wrong", !ok);
      var left = select.parentNode.querySelector(".left").textContent;
      lines.push(element("li", ok ? "right" : "wrong", (ok ? "\u2713 " : "\u2717 ") + left + (ok ? "" : ": not '" + select.options[select.selectedIndex].text + "'")));
    });
    return { right: right, lines: lines, always: false };
  }

  // ---- score per topic ----------------------------------------------------------

  var counted = new Map(); // article -> right at its first check (or false once its solution was shown)
  var attempt = []; // what "Save my attempt" writes: each variant's first check, in the order made

  function score(article, right, responses) {
    if (counted.has(article)) return;
    counted.set(article, right);
    var question = article.closest(".question");
    attempt.push({
      question: Number(question.id.slice(1)),
      template: question.getAttribute("data-template"),
      code: article.getAttribute("data-code"),
      revealed: responses === undefined, // the solution was shown before any check: counts as not right
      responses: responses === undefined ? null : responses,
    });
    var totals = {};
    counted.forEach(function (ok, node) {
      var topic = node.closest(".question").getAttribute("data-topic");
      [topic, ""].forEach(function (key) {
        totals[key] = totals[key] || { right: 0, checked: 0 };
        totals[key].checked += 1;
        totals[key].right += ok ? 1 : 0;
      });
    });
    document.querySelectorAll(".scores tr[data-topic]").forEach(function (row) {
      var total = totals[row.getAttribute("data-topic")] || { right: 0, checked: 0 };
      row.querySelector(".right").textContent = total.right;
      row.querySelector(".checked").textContent = total.checked;
    });
  }

  // ---- buttons --------------------------------------------------------------------

  function check(article, hidden) {
    var kind = article.getAttribute("data-kind");
    var result = kind === "multichoice" || kind === "concept" ? markChoice(article, hidden) : kind === "matching" ? markMatching(article, hidden) : markBlanks(article, hidden);
    var feedback = article.querySelector(".feedback");
    feedback.textContent = "";
    if (result === null || result.incomplete) {
      feedback.appendChild(element("p", "incomplete", result ? result.incomplete : "Fix the highlighted answer first."));
      return;
    }
    score(article, result.right, responsesOf(article, kind));
    feedback.appendChild(element("p", result.right ? "verdict right" : "verdict wrong", result.right ? "Right!" : "Not right yet."));
    if (!result.right || result.always) {
      var list = element("ul", "marks");
      result.lines.forEach(function (line) { list.appendChild(line); });
      feedback.appendChild(list);
    }
    if (!result.right) feedback.appendChild(element("p", "next", "Try again, show the solution, or take another variant."));
  }

  /* The responses as typed (what quizgen grade reads again with its own reader): a blank's text by
   * answer name, the chosen option's letter, or each matching item's chosen partner. */
  function responsesOf(article, kind) {
    if (kind === "multichoice" || kind === "concept") {
      var chosen = article.querySelector("input[type=radio]:checked");
      return { option: chosen ? chosen.value : "" };
    }
    if (kind === "matching") {
      var pairs = [];
      article.querySelectorAll("label.pair").forEach(function (pair) {
        var select = pair.querySelector("select");
        pairs.push([pair.querySelector(".left").textContent, select.value === "" ? "" : select.options[select.selectedIndex].text]);
      });
      return { pairs: pairs };
    }
    var blanks = {};
    article.querySelectorAll(".blank").forEach(function (blank) {
      var input = blank.querySelector("input, textarea");
      var text = input.value;
      if (input.tagName === "TEXTAREA") text = text.split("\n").filter(function (line) { return /[^ \t\r\f\v]/.test(line); }).join(";");
      blanks[blank.getAttribute("data-name")] = text.slice(0, MAX_LENGTH);
    });
    return { blanks: blanks };
  }

  // ---- saving an attempt ----------------------------------------------------------

  function saveAttempt(form) {
    var status = document.querySelector(".save-status");
    var name = form.querySelector("#save-name").value.trim().slice(0, 100);
    var id = form.querySelector("#save-id").value.trim().slice(0, 40);
    if (!name && !id) {
      status.textContent = "Type your name or student ID first.";
      return;
    }
    var page = JSON.parse(document.body.getAttribute("data-quizgen-page"));
    var data = { schema: "quizgen.selftest-attempt/1", page: page.key, title: page.title, student_id: id, name: name, answers: attempt };
    var blob = new Blob([JSON.stringify(data, null, 1) + "\n"], { type: "application/json" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "attempt-" + (id || name).replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 40) + ".json";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
    status.textContent = "Saved " + link.download + " with " + attempt.length + " checked variant" + (attempt.length === 1 ? "" : "s") + ". Hand this file in.";
  }

  function toggleSolution(article, button, hidden) {
    var box = article.querySelector(".solution");
    if (!box.hidden) {
      box.hidden = true;
      button.textContent = "Show solution";
      return;
    }
    if (!box.hasChildNodes()) {
      box.appendChild(element("h3", "", "Answer"));
      var key = element("ul", "key");
      if (hidden.answers) {
        article.querySelectorAll(".blank label").forEach(function (label, i) {
          key.appendChild(element("li", "", label.firstChild.textContent.trim() + ": " + hidden.answers[i].key));
        });
      } else {
        key.appendChild(element("li", "", hidden.key));
      }
      box.appendChild(key);
      box.appendChild(element("h3", "", "Worked solution"));
      var steps = element("div", "steps");
      steps.innerHTML = hidden.steps; // written by quizgen at export time, already escaped
      box.appendChild(steps);
    }
    score(article, false);
    box.hidden = false;
    button.textContent = "Hide solution";
  }

  function another(article) {
    var pool = Array.prototype.slice.call(article.parentNode.querySelectorAll("article.variant"));
    var next = pool[(pool.indexOf(article) + 1) % pool.length];
    article.hidden = true;
    next.hidden = false;
    var first = next.querySelector("input, textarea, select");
    if (first) first.focus({ preventScroll: true });
    next.closest(".question").scrollIntoView({ block: "start" });
  }

  document.querySelectorAll("article.variant").forEach(function (article) {
    article.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      secret(article).then(function (hidden) { check(article, hidden); });
    });
    var reveal = article.querySelector(".reveal");
    reveal.addEventListener("click", function () {
      secret(article).then(function (hidden) { toggleSolution(article, reveal, hidden); });
    });
    var next = article.querySelector(".another");
    if (article.parentNode.querySelectorAll("article.variant").length < 2) next.disabled = true;
    next.addEventListener("click", function () { another(article); });
  });

  document.querySelector(".save-form").addEventListener("submit", function (event) {
    event.preventDefault();
    saveAttempt(event.target);
  });

  /* For tests: the same reading and marking the buttons use. */
  window.QuizgenSelfTest = {
    parseResponse: parseResponse,
    fitShape: fitShape,
    within: within,
    exact: exact,
    fractionText: fractionText,
    unscramble: unscramble,
    markResponse: markResponse,
    mark: function (answer, text, kind, shape, wanted) {
      var response;
      try {
        response = fitShape(parseResponse(text), kind, shape, wanted);
      } catch (error) {
        if (error instanceof ResponseError) return { hint: error.message };
        throw error;
      }
      var mark = markResponse(answer, response);
      return { right: mark.right, off: mark.off, mistake: mark.mistake ? mark.mistake.label : null };
    },
    read: function (text, kind, shape, wanted) {
      try {
        return { value: fractionText(fitShape(parseResponse(text), kind, shape, wanted)) };
      } catch (error) {
        if (error instanceof ResponseError) return { hint: error.message };
        throw error;
      }
    },
  };
})();
