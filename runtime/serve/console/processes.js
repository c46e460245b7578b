// The console's first page: every process the server runs, with its
// counters, refreshed every 2 s (runtime/serve/console.h).
'use strict';

(() => {
  const {el, fill, number, pill} = cv;
  let last = '';
  let refreshes = 0;

  function state(process) {
    if (process.deleted) return pill('deleted', 'bad');
    if (process.paused) return pill('paused', 'warn');
    return pill('active', 'ok');
  }

  function row(process) {
    const link = el('a', {href: `/console/process/${process.conv_id}`},
                    process.title || `process ${process.conv_id}`);
    return el('tr', {dataset: {convId: String(process.conv_id)}},
              el('td', {className: 'cv-wrap'}, link),
              el('td', {className: 'cv-num cv-mono'}, String(process.conv_id)),
              el('td', {}, state(process)),
              el('td', {className: 'cv-num', dataset: {counter: 'created'}}, number(process.created)),
              el('td', {className: 'cv-num', dataset: {counter: 'in_nodes'}}, number(process.in_nodes)),
              el('td', {className: 'cv-num', dataset: {counter: 'waiting'}}, number(process.waiting)),
              el('td', {className: 'cv-num', dataset: {counter: 'finished'}}, number(process.finished)),
              el('td', {className: 'cv-num', dataset: {counter: 'errors'}}, number(process.errors)));
  }

  async function refresh() {
    const {body, text} = await cv.get('/console/api/processes');
    if (text !== last) {
      last = text;
      const rows = body.processes.map(row);
      if (rows.length === 0) {
        rows.push(el('tr', {className: 'cv-empty'},
                     el('td', {colSpan: 8}, 'No process is deployed.')));
      }
      fill(document.querySelector('#processes tbody'), rows);
      const engine = body.engine;
      fill('engine', `${number(engine.tasks_created)} tasks created, ` +
                     `${number(engine.tasks_queued)} queued or running, ` +
                     `${number(engine.timers_pending)} timers pending`);
    }
    fill('updated', `Updated ${new Date().toLocaleTimeString('en-GB')}; refreshes every 2 s.`);
    document.body.dataset.refreshes = String(++refreshes);
  }

  cv.session().catch(cv.showError);
  cv.poll(refresh, 2000);
})();
