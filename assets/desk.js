// The board refreshes itself: every 30 seconds, while the page is visible and the box is
// ticked, it fetches the same address (filters included) and swaps in the new columns. The
// page works without this script; it only saves a reload.
const EVERY_MS = 30000;

const box = document.getElementById('auto-refresh');
const columns = document.getElementById('columns');
const stamp = document.getElementById('refreshed-at');

async function refresh() {
  if (!box || !box.checked || document.visibilityState !== 'visible') return;
  try {
    const reply = await fetch(window.location.href, { credentials: 'same-origin' });
    if (!reply.ok) return;
    const page = new DOMParser().parseFromString(await reply.text(), 'text/html');
    const fresh = page.getElementById('columns');
    const freshStamp = page.getElementById('refreshed-at');
    if (fresh && columns) columns.replaceChildren(...fresh.childNodes);
    if (freshStamp && stamp) stamp.textContent = freshStamp.textContent;
  } catch (_) {
    // Offline for a moment: the next tick tries again.
  }
}

if (box && columns) {
  const holder = document.getElementById('auto-refresh-box');
  if (holder) holder.hidden = false;
  setInterval(refresh, EVERY_MS);
}

// Keyboard shortcuts (single keys, so they can be turned off — WCAG 2.1.4 — with the box next
// to their list; the choice is kept in this browser): j / k the next / previous order, h / l
// the previous / next column, / the filters, m "mine" on and off, r refresh now. They never
// act while someone types in a field or holds a modifier key.
const keysBox = document.getElementById('shortcuts');
const keysHelp = document.getElementById('shortcuts-help');
const STORE = 'keepsake.desk.shortcuts';

function shortcutsOn() {
  return keysBox ? keysBox.checked : false;
}

if (keysBox && keysHelp && columns) {
  keysHelp.hidden = false;
  try {
    keysBox.checked = window.localStorage.getItem(STORE) !== 'off';
  } catch (_) {
    keysBox.checked = true;
  }
  keysBox.addEventListener('change', () => {
    try {
      window.localStorage.setItem(STORE, keysBox.checked ? 'on' : 'off');
    } catch (_) {
      // Private windows may refuse storage: the choice lasts for this page only.
    }
  });
  document.addEventListener('keydown', onKey);
}

function cardLinks() {
  return [...document.querySelectorAll('#columns .desk-card .reference a')];
}

function columnOf(element) {
  return element ? element.closest('.column') : null;
}

function moveCard(step) {
  const links = cardLinks();
  if (links.length === 0) return;
  const at = links.indexOf(document.activeElement);
  const next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(Math.max(at + step, 0), links.length - 1);
  links[next].focus();
}

function moveColumn(step) {
  const all = [...document.querySelectorAll('#columns .column')].filter((c) => c.querySelector('.desk-card'));
  if (all.length === 0) return;
  const at = all.indexOf(columnOf(document.activeElement));
  const next = at < 0 ? 0 : Math.min(Math.max(at + step, 0), all.length - 1);
  const link = all[next].querySelector('.desk-card .reference a');
  if (link) link.focus();
}

function toggleMine() {
  const url = new URL(window.location.href);
  if (url.searchParams.get('assignee') === 'mine') {
    url.searchParams.delete('assignee');
  } else {
    url.searchParams.set('assignee', 'mine');
  }
  url.searchParams.delete('after');
  window.location.assign(url.toString());
}

function onKey(event) {
  if (!shortcutsOn() || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && target.closest('input, select, textarea, [contenteditable]')) return;
  const actions = {
    j: () => moveCard(1),
    k: () => moveCard(-1),
    l: () => moveColumn(1),
    h: () => moveColumn(-1),
    '/': () => {
      const first = document.getElementById('mode');
      if (first) first.focus();
    },
    m: toggleMine,
    r: () => {
      if (box) {
        const was = box.checked;
        box.checked = true;
        refresh().finally(() => {
          box.checked = was;
        });
      }
    },
  };
  const act = actions[event.key];
  if (act) {
    event.preventDefault();
    act();
  }
}
