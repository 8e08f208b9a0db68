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
