// A process's page: its picture with live per-node counts (polled every
// 1.5 s and written into the SVG's `text.count` elements by node id, without
// reloading), its counters and nodes, and the tasks of a chosen node, a page
// at a time (runtime/serve/console.h).
'use strict';

(() => {
  const {el, fill, number, pill} = cv;
  const convId = cv.pathId(/^\/console\/process\/(\d+)\/?$/);
  const picture = document.getElementById('picture');

  let badges = new Map();  // node id -> {group, text, badge} in the picture
  let titles = new Map();  // node id -> title
  let pictureLoaded = false;
  let last = '';           // the last answer, to redraw only on a change
  let refreshes = 0;
  let writable = false;
  let paused = false;

  // The task list: the node chosen ('' = every node) and the cursors of the
  // pages seen (cursors[i] opens page i + 1).
  let selected = '';
  let cursors = [''];
  let page = 0;
  let nextCursor = null;
  let listings = 0;

  async function loadPicture(hasPicture) {
    if (!hasPicture) {
      fill(picture, el('p', {className: 'cv-muted'},
                       'No picture: the server has no export of this process ' +
                       '(brought back from the store without its file).'));
      return;
    }
    const answer = await fetch(cv.url(`/console/process/${convId}.svg`),
                               {credentials: 'same-origin', cache: 'no-store'});
    const text = await answer.text();
    if (!answer.ok) throw new Error(`the picture: ${answer.status} ${text}`);
    const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
    if (svg.nodeName !== 'svg') throw new Error('the picture is not SVG');
    // Defence in depth: the renderer writes no script and no handler, and
    // the Content-Security-Policy would run neither.
    for (const node of svg.querySelectorAll('script, foreignObject')) node.remove();
    for (const node of svg.querySelectorAll('*')) {
      for (const attribute of [...node.attributes]) {
        if (/^on/i.test(attribute.name)) node.removeAttribute(attribute.name);
      }
    }
    const shown = document.importNode(svg, true);
    fill(picture, shown);
    badges = new Map();
    for (const group of shown.querySelectorAll('g.node')) {
      const id = group.getAttribute('data-node-id');
      badges.set(id, {
        group,
        text: group.querySelector('text.count'),
        badge: group.querySelector('rect.badge'),
      });
      group.addEventListener('click', () => selectNode(id));
    }
    markSelected();
  }

  // Writes a node's count into the picture; the badge keeps its right edge
  // and grows with the digits, as the renderer sizes it.
  function setCount(id, count) {
    const parts = badges.get(id);
    if (!parts || !parts.text) return;
    const digits = String(count);
    if (parts.text.textContent !== digits) {
      parts.text.textContent = digits;
      if (parts.badge) {
        const width = 10 + 7 * digits.length;
        const right = Number(parts.badge.getAttribute('x')) +
                      Number(parts.badge.getAttribute('width'));
        parts.badge.setAttribute('x', String(right - width));
        parts.badge.setAttribute('width', String(width));
        parts.text.setAttribute('x', String(right - width / 2));
      }
    }
    parts.group.classList.toggle('has-tasks', count > 0);
  }

  function stat(label, value, tone) {
    return el('div', {className: 'cv-stat' + (tone ? ' cv-' + tone : '')},
              el('dt', {}, label), el('dd', {}, number(value)));
  }

  function parkedText(parked) {
    return Object.entries(parked).map(([reason, n]) => `${reason} ${number(n)}`).join(', ');
  }

  function nodeRow(node) {
    return el('tr', {
      className: 'cv-clickable' + (node.node_id === selected ? ' cv-selected' : ''),
      dataset: {nodeId: node.node_id},
      on: {click: () => selectNode(node.node_id)},
    },
              el('td', {className: 'cv-wrap'}, node.title || node.node_id,
                 node.final ? el('span', {className: 'cv-muted cv-small'}, ' (final)') : null),
              el('td', {className: 'cv-num', dataset: {count: node.node_id}}, String(node.count)),
              el('td', {className: 'cv-muted cv-small'}, parkedText(node.parked)));
  }

  function renderActions() {
    if (!writable) return fill('actions');
    fill('actions', el('button', {
      type: 'button',
      id: 'pause',
      className: paused ? 'cv-primary' : '',
      on: {click: () => togglePause().catch(cv.showError)},
    }, paused ? 'Resume' : 'Pause'));
  }

  function render(process) {
    const name = process.title || `Process ${convId}`;
    document.title = `${name} · convey`;
    fill('crumb', name);
    fill('title', name, ' ', el('span', {className: 'cv-muted cv-mono'}, `#${process.conv_id}`));
    paused = process.paused;
    fill('state', process.deleted ? pill('deleted', 'bad')
                  : process.paused ? pill('paused', 'warn') : pill('active', 'ok'));
    fill('stats', stat('Created', process.created), stat('In nodes', process.in_nodes),
         stat('Waiting', process.waiting), stat('Finished', process.finished),
         stat('Errors', process.errors, process.errors > 0 ? 'bad' : ''),
         process.held ? stat('Held by the pause', process.held) : null);
    titles = new Map(process.nodes.map((node) => [node.node_id, node.title]));
    fill(document.querySelector('#nodes tbody'), process.nodes.map(nodeRow));
    for (const node of process.nodes) setCount(node.node_id, node.count);
    renderActions();
    headTasks();
  }

  async function refresh() {
    const {body, text} = await cv.get(`/console/api/process/${convId}`);
    if (!pictureLoaded) {
      await loadPicture(body.has_picture);
      pictureLoaded = true;
    }
    if (text !== last) {
      last = text;
      render(body);
    }
    fill('updated', `Counts updated ${new Date().toLocaleTimeString('en-GB')}; ` +
                    'they refresh every 1.5 s.');
    document.body.dataset.refreshes = String(++refreshes);
  }

  async function togglePause() {
    await cv.post(`/console/api/process/${convId}/${paused ? 'resume' : 'pause'}`);
    await refresh();
  }

  // --- the tasks of the chosen node ---

  function markSelected() {
    for (const [id, parts] of badges) parts.group.classList.toggle('cv-selected', id === selected);
    for (const row of document.querySelectorAll('#nodes tbody tr')) {
      row.classList.toggle('cv-selected', row.dataset.nodeId === selected);
    }
  }

  function headTasks() {
    fill('tasks-heading', selected ? `Tasks in “${titles.get(selected) || selected}”`
                                   : 'Tasks in every node');
  }

  function statusPill(status) {
    const tone = {processing: 'info', processed: 'ok', error: 'bad', loop_stopped: 'bad'}[status];
    return pill(status, tone);
  }

  function taskRow(task) {
    return el('tr', {dataset: {objId: task.obj_id}},
              el('td', {className: 'cv-mono'},
                 el('a', {href: `/console/task/${encodeURIComponent(task.obj_id)}`}, task.obj_id)),
              el('td', {className: 'cv-wrap'}, task.ref === null ? '' : task.ref),
              el('td', {}, statusPill(task.status)),
              el('td', {}, task.park_reason === 'none' ? '' : task.park_reason),
              el('td', {className: 'cv-wrap'}, task.node_title || task.node_id),
              el('td', {className: 'cv-small'}, cv.time(task.create_time)),
              el('td', {className: 'cv-small'}, cv.time(task.change_time)));
  }

  async function loadTasks() {
    const query = new URLSearchParams({limit: '20'});
    if (selected) query.set('node_id', selected);
    const prefix = document.getElementById('ref-prefix').value;
    if (prefix) query.set('ref_prefix', prefix);
    if (cursors[page]) query.set('cursor', cursors[page]);
    const {body} = await cv.get(`/console/api/process/${convId}/tasks?${query}`);
    nextCursor = body.next_cursor;
    const rows = body.tasks.map(taskRow);
    if (rows.length === 0) {
      rows.push(el('tr', {className: 'cv-empty'},
                   el('td', {colSpan: 7}, page === 0 ? 'No task here.' : 'No more tasks.')));
    }
    fill(document.querySelector('#tasks tbody'), rows);
    fill('page-info', `Page ${page + 1}, newest first` +
                      (body.tasks.length ? `: ${body.tasks.length} tasks` : ''));
    document.getElementById('next-page').disabled = !nextCursor;
    document.getElementById('first-page').disabled = page === 0;
    document.body.dataset.listings = String(++listings);
  }

  function selectNode(id) {
    selected = id;
    cursors = [''];
    page = 0;
    markSelected();
    headTasks();
    window.history.replaceState(null, '', id ? `#node=${encodeURIComponent(id)}` : '#');
    loadTasks().catch(cv.showError);
  }

  document.getElementById('next-page').addEventListener('click', () => {
    if (!nextCursor) return;
    cursors[page + 1] = nextCursor;
    page++;
    loadTasks().catch(cv.showError);
  });
  document.getElementById('first-page').addEventListener('click', () => {
    page = 0;
    loadTasks().catch(cv.showError);
  });
  document.getElementById('all-nodes').addEventListener('click', () => selectNode(''));
  document.getElementById('filter').addEventListener('submit', (event) => {
    event.preventDefault();
    cursors = [''];
    page = 0;
    loadTasks().catch(cv.showError);
  });

  const hash = window.location.hash.match(/^#node=(.+)$/);
  if (hash) selected = decodeURIComponent(hash[1]);
  cv.session().then((session) => {
    writable = session.may_write;
    renderActions();
  }).catch(cv.showError);
  cv.poll(refresh, 1500);
  loadTasks().catch(cv.showError);
})();
