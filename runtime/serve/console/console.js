// Shared by the web console's pages (runtime/serve/console.h): fetching the
// console's JSON, building elements, the signed-in login, errors.
//
// Everything the server sends that a user could have written (titles, refs,
// task data, history texts) goes into the page as text (textContent, text
// nodes), never as markup; the Content-Security-Policy runs no other script.
'use strict';

const cv = (() => {
  // Absolute URLs on this origin: a page opened as http://login:secret@host/
  // has a base URL with credentials, which fetch() refuses to resolve
  // against.
  const url = (path) => window.location.origin + path;

  async function request(path, options) {
    const answer = await fetch(url(path), Object.assign({
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {Accept: 'application/json'},
    }, options));
    const text = await answer.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new Error(`${answer.status} ${answer.statusText}: ${text.slice(0, 200)}`);
    }
    if (!answer.ok) throw new Error(body.error || `${answer.status} ${answer.statusText}`);
    return {body, text};
  }

  // GET a JSON route: {body, text} (text: to tell whether anything changed).
  const get = (path) => request(path);

  // POST to a write route, as the server requires of console writes.
  const post = (path, body) => request(path, {
    method: 'POST',
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'X-Convey-Console': '1',
    },
    body: JSON.stringify(body || {}),
  });

  // el('td', {className: 'cv-num'}, 'text', child, ...): strings become text.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'dataset') {
        Object.assign(node.dataset, value);
      } else if (key === 'on') {
        for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
      } else {
        node[key] = value;
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) {
        append(node, child);
      } else {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
  }

  // Replaces the children of element `id` (or an element).
  function fill(target, ...children) {
    const node = typeof target === 'string' ? document.getElementById(target) : target;
    node.replaceChildren();
    append(node, children);
    return node;
  }

  const number = (n) => Number(n).toLocaleString('en-US');

  // "2026-12-04T03:15:56.123Z" -> "2026-12-04 03:15:56".
  const time = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '') : '');

  function pill(text, tone) {
    return el('span', {className: 'cv-pill' + (tone ? ' cv-' + tone : '')}, text);
  }

  function showError(error) {
    const box = document.getElementById('error');
    if (!box) return;
    box.textContent = error instanceof Error ? error.message : String(error);
    box.hidden = false;
  }

  function clearError() {
    const box = document.getElementById('error');
    if (box) box.hidden = true;
  }

  // The signed-in login, shown in the bar; {login, may_write}.
  let sessionPromise = null;
  function session() {
    if (!sessionPromise) {
      sessionPromise = get('/console/api/session').then(({body}) => {
        const who = document.getElementById('who');
        if (who) {
          fill(who, body.login,
               body.may_write ? pill('can write', 'warn') : pill('read-only', 'info'));
        }
        return body;
      });
    }
    return sessionPromise;
  }

  // Runs `step` now and then every `ms`, one at a time; errors are shown
  // and the polling goes on (the server may come back).
  function poll(step, ms) {
    const run = async () => {
      try {
        await step();
        clearError();
      } catch (e) {
        showError(e);
      }
      window.setTimeout(run, ms);
    };
    run();
  }

  // The compact JSON `text` indented, token by token: numbers stay as
  // written (JSON.parse would round integers past 2^53).
  function prettyJson(text) {
    let out = '';
    let depth = 0;
    let inString = false;
    const indent = () => '\n' + '  '.repeat(depth);
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        out += c;
        if (c === '\\') {
          out += text[++i];
        } else if (c === '"') {
          inString = false;
        }
        continue;
      }
      if (c === '"') {
        inString = true;
        out += c;
      } else if (c === '{' || c === '[') {
        const close = c === '{' ? '}' : ']';
        if (text[i + 1] === close) {
          out += c + close;
          i++;
        } else {
          depth++;
          out += c + indent();
        }
      } else if (c === '}' || c === ']') {
        depth--;
        out += indent() + c;
      } else if (c === ',') {
        out += ',' + indent();
      } else if (c === ':') {
        out += ': ';
      } else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') {
        out += c;
      }
    }
    return out;
  }

  // "/console/process/1001" -> "1001" for pattern /^\/console\/process\/(\d+)/.
  function pathId(pattern) {
    const match = window.location.pathname.match(pattern);
    return match ? decodeURIComponent(match[1]) : null;
  }

  return {url, get, post, el, fill, number, time, pill, showError, clearError, session, poll,
          prettyJson, pathId};
})();
