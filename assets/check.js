// The check page: the chosen file's SHA-256 is computed here, in the browser (the same worker
// the uploader uses, 8 MiB at a time), put in the fingerprint field, and the form sent. The
// file itself never leaves this computer. Without this script, the fingerprint can be pasted.
const field = document.getElementById('check-file-field');
const input = document.getElementById('check-file');
const progress = document.getElementById('check-progress');
const sha = document.getElementById('sha256');
const form = document.getElementById('check-form');

if (field && input && sha && form && window.Worker) {
  field.hidden = false;
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const worker = new Worker(field.dataset.hashWorker);
    worker.onmessage = ({ data }) => {
      if (data.done !== undefined && progress) {
        const percent = file.size ? Math.floor((100 * data.done) / file.size) : 100;
        progress.textContent = `${percent}%`;
      } else if (data.sha256) {
        worker.terminate();
        sha.value = data.sha256;
        form.submit();
      } else if (data.error && progress) {
        worker.terminate();
        progress.textContent = data.error;
      }
    };
    worker.postMessage(file);
  });
}
