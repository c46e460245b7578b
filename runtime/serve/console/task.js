// A task's page: where it is, its data (indented) and its history, refreshed
// every 3 s; with a login that may write, moving it to another node and
// deleting it (runtime/serve/console.h).
'use strict';

(() => {
  const {el, fill, pill} = cv;
  const objId = cv.pathId(/^\/console\/task\/([^/]+)\/?$/);
  let last = '';
  let refreshes = 0;
  let writable = false;
  let task = null;

  const tones = {processing: 'info', processed: 'ok', error: 'bad', loop_stopped: 'bad'};
  const kindTones = {error: 'bad', loop_stopped: 'bad', finished: 'ok', parked: 'warn',
                     deleted: 'bad', host: 'info'};

  function prop(label, ...value) {
    return [el('dt', {}, label), el('dd', {}, ...value)];
  }

  function nodeName(id, title) {
    if (!id) return '';
    return title || id;
  }

  function historyRow(entry) {
    return el('tr', {className: 'cv-history', dataset: {kind: entry.kind}},
              el('td', {className: 'cv-small cv-mono'}, cv.time(entry.time)),
              el('td', {}, pill(entry.kind.replace(/_/g, ' '), kindTones[entry.kind])),
              el('td', {className: 'cv-wrap'}, nodeName(entry.node_id, entry.node_title)),
              el('td', {className: 'cv-wrap'}, entry.text === null ? '' : entry.text));
  }

  function renderActions() {
    if (!writable || !task || task.status === 'processed' || task.status === 'deleted') {
      return fill('actions');
    }
    const targets = task.nodes.filter((node) => !node.final && node.node_id !== task.node_id);
    const select = el('select', {id: 'move-to', ariaLabel: 'node to move the task to'},
                      targets.map((node) => el('option', {value: node.node_id},
                                               node.title || node.node_id)));
    fill('actions',
         targets.length ? [select, el('button', {
           type: 'button',
           on: {click: () => act('move', {node_id: select.value})},
         }, 'Move')] : null,
         el('button', {
           type: 'button',
           className: 'cv-danger',
           on: {click: () => {
             if (window.confirm('Delete this task?')) act('delete');
           }},
         }, 'Delete'));
  }

  async function act(action, body) {
    try {
      await cv.post(`/console/api/task/${encodeURIComponent(objId)}/${action}`, body);
      await refresh();
    } catch (e) {
      cv.showError(e);
    }
  }

  function render(body) {
    task = body;
    const name = body.ref === null ? body.obj_id : body.ref;
    document.title = `Task ${name} · convey`;
    const process = body.process_title || `process ${body.conv_id}`;
    const processLink = document.getElementById('crumb-process');
    processLink.href = `/console/process/${body.conv_id}`;
    processLink.textContent = process;
    fill('crumb-task', name);
    fill('title', 'Task ', el('span', {className: 'cv-mono'}, name));
    fill('status', pill(body.status, tones[body.status]));
    const nodeLink = el('a', {
      href: `/console/process/${body.conv_id}#node=${encodeURIComponent(body.node_id)}`,
    }, nodeName(body.node_id, body.node_title));
    fill('props',
         prop('Task', el('span', {className: 'cv-mono'}, body.obj_id)),
         prop('Ref', body.ref === null ? el('span', {className: 'cv-muted'}, 'none') : body.ref),
         prop('Process', el('a', {href: `/console/process/${body.conv_id}`}, process),
              el('span', {className: 'cv-muted cv-mono'}, ` #${body.conv_id}`)),
         prop('Node', nodeLink),
         prop('Waiting for', body.park_reason === 'none' ? 'nothing (moving or queued)'
                                                         : body.park_reason),
         prop('Created', cv.time(body.create_time), ' UTC'),
         prop('Changed', cv.time(body.change_time), ' UTC'));
    fill('data', cv.prettyJson(body.data_text));
    const rows = body.history.map(historyRow);
    if (rows.length === 0) {
      rows.push(el('tr', {className: 'cv-empty'},
                   el('td', {colSpan: 4}, 'The server keeps no history.')));
    }
    fill(document.querySelector('#history tbody'), rows);
    fill('dropped', body.history_dropped
                        ? `${body.history_dropped} older entries were dropped (the history keeps ` +
                          'the create and the latest ones).'
                        : '');
    renderActions();
  }

  async function refresh() {
    const {body, text} = await cv.get(`/console/api/task/${encodeURIComponent(objId)}`);
    if (text !== last) {
      last = text;
      render(body);
    }
    fill('updated', `Updated ${new Date().toLocaleTimeString('en-GB')}; refreshes every 3 s.`);
    document.body.dataset.refreshes = String(++refreshes);
  }

  cv.session().then((session) => {
    writable = session.may_write;
    renderActions();
  }).catch(cv.showError);
  cv.poll(refresh, 3000);
})();
