// Keepsake uploader: sends the chosen files straight to the object store through the JSON
// API's presigned URLs. Each file is hashed first (whole-file SHA-256 in a worker), declared,
// sent in one request or in parts (each part hashed with Web Crypto as it is read), and
// completed; the server then verifies it. A file's upload is remembered in localStorage by
// name, size and modification time, so choosing the same file again after a reload or a
// closed tab resumes where it stopped (the API lists the parts the store already holds).

const root = document.getElementById("uploader");
const words = JSON.parse(document.getElementById("upload-words")?.textContent || "{}");

const say = (key, values = {}) =>
  (words[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));

const api = async (method, path, body) => {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      "x-csrf-token": root.dataset.csrf,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: response.status, body: json };
};

const KIND_BY_TYPE = [
  [/^image\/(jpeg|png|webp)$/, "photo"],
  [/^audio\//, "voice"],
  [/^video\//, "video"],
  [/^application\/pdf$/, "document"],
];
const TYPE_BY_EXTENSION = {
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp",
  wav: "audio/wav", mp3: "audio/mpeg", flac: "audio/flac", m4a: "audio/mp4",
  mp4: "video/mp4", mov: "video/quicktime", pdf: "application/pdf",
};

function typeOf(file) {
  if (file.type) return file.type;
  const ext = file.name.split(".").pop().toLowerCase();
  return TYPE_BY_EXTENSION[ext] || "application/octet-stream";
}

function kindOf(type) {
  const found = KIND_BY_TYPE.find(([pattern]) => pattern.test(type));
  // Anything else is declared as a photo: the server sniffs it and says what it really is.
  return found ? found[1] : "photo";
}

const orderId = () => root.dataset.order;
// `samples` on the family's pages; `deliverables` on the studio's workbench (same flow).
const collection = () => root.dataset.collection || "samples";
const memoryKey = (file) => `keepsake-upload:${orderId()}:${file.name}:${file.size}:${file.lastModified}`;
const remember = (file, value) => localStorage.setItem(memoryKey(file), JSON.stringify(value));
const recall = (file) => { try { return JSON.parse(localStorage.getItem(memoryKey(file))); } catch { return null; } };
const forget = (file) => localStorage.removeItem(memoryKey(file));

function hashFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(root.dataset.hashWorker);
    worker.onmessage = ({ data }) => {
      if (data.sha256) { worker.terminate(); resolve(data.sha256); }
      else if (data.error) { worker.terminate(); reject(new Error(data.error)); }
      else onProgress(data.done);
    };
    worker.onerror = (e) => { worker.terminate(); reject(e); };
    worker.postMessage(file);
  });
}

async function hexDigest(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function humanBytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

class Paused extends Error {}

// One file's row in the queue and its upload.
class Upload {
  constructor(file) {
    this.file = file;
    this.type = typeOf(file);
    // A page may say what every file is (the consent page's evidence documents).
    this.kind = root.dataset.kind || kindOf(this.type);
    this.paused = false;
    this.request = null;
    this.row = document.createElement("li");
    this.row.className = "upload";
    if (this.kind === "photo" && /^image\//.test(this.type)) {
      const thumb = document.createElement("img");
      thumb.className = "thumb";
      thumb.alt = "";
      thumb.src = URL.createObjectURL(file);
      // Not a picture after all (the server will say what it is): no broken image.
      thumb.onerror = () => thumb.remove();
      this.row.append(thumb);
    }
    const body = document.createElement("div");
    this.name = document.createElement("span");
    this.name.className = "file-name";
    this.name.textContent = file.name;
    this.state = document.createElement("span");
    this.state.className = "file-state";
    this.bar = document.createElement("progress");
    this.bar.max = file.size || 1;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", file.name);
    this.rate = document.createElement("span");
    this.rate.className = "rate quiet";
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = "secondary small";
    this.button.hidden = true;
    this.button.textContent = say("upload.pause");
    this.button.addEventListener("click", () => this.toggle());
    body.append(this.name, " ", this.state, this.bar, this.rate, this.button);
    this.row.append(body);
  }

  show(text, kind = "") {
    this.state.textContent = text;
    this.row.dataset.state = kind;
  }

  toggle() {
    if (this.paused) {
      this.paused = false;
      this.button.textContent = say("upload.pause");
      this.show(say("upload.resuming"), "sending");
      queue.push(this);
      pump();
    } else {
      this.paused = true;
      this.button.textContent = say("upload.resume");
      if (this.request) this.request.abort();
    }
  }

  progress(sent) {
    this.bar.value = sent;
    const now = performance.now();
    if (!this.startedAt) { this.startedAt = now; this.startedFrom = sent; return; }
    const seconds = (now - this.startedAt) / 1000;
    if (seconds < 0.5) return;
    const speed = (sent - this.startedFrom) / seconds;
    if (speed <= 0) return;
    const left = (this.file.size - sent) / speed;
    const leftText = left >= 90
      ? say("upload.minutes_left", { n: Math.ceil(left / 60) })
      : say("upload.seconds_left", { n: Math.max(1, Math.ceil(left)) });
    this.rate.textContent = `${say("upload.speed", { speed: `${humanBytes(speed)}/s` })} · ${say("upload.left", { size: humanBytes(this.file.size - sent) })} · ${leftText}`;
  }

  // PUT `body` as the presigned `request` says, reporting bytes sent through `onBytes`.
  put(request, body, onBytes) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.request = xhr;
      xhr.open(request.method, request.url);
      for (const [name, value] of Object.entries(request.headers || {})) {
        if (name.toLowerCase() !== "host") xhr.setRequestHeader(name, value);
      }
      xhr.upload.onprogress = (e) => onBytes(e.loaded);
      xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`store answered ${xhr.status}`)));
      xhr.onerror = () => reject(new Error("network"));
      xhr.onabort = () => reject(new Paused());
      xhr.send(body);
    });
  }

  async run() {
    const file = this.file;
    let memory = recall(file);
    let instructions = null;
    if (memory) {
      const status = await api("GET", `/api/v1/orders/${orderId()}/${collection()}/${memory.sample}/upload`);
      if (status.status === 200) {
        instructions = status.body.upload || status.body;
        this.show(say("upload.resuming"), "sending");
      } else if (status.body?.code === "upload_assembled") {
        instructions = { mode: "assembled" };
      } else {
        const sample = await api("GET", `/api/v1/orders/${orderId()}/${collection()}/${memory.sample}`);
        if (sample.status === 200 && sample.body.status === "verified") return this.verified(sample.body);
        forget(file);
        memory = null;
      }
    }
    if (!memory) {
      this.show(say("upload.hashing"), "hashing");
      const sha256 = await hashFile(file, (done) => { this.bar.value = done; });
      this.bar.value = 0;
      this.show(say("upload.starting"), "sending");
      const started = await api("POST", `/api/v1/orders/${orderId()}/${collection()}`, {
        kind: this.kind, file_name: file.name, size: file.size, sha256, content_type: this.type,
      });
      if (started.status !== 201 && started.status !== 200) return this.refused(started.body);
      memory = { sample: (started.body.sample || started.body.deliverable).id, sha256 };
      remember(file, memory);
      instructions = started.body.upload;
    }
    this.sampleId = memory.sample;
    this.show(say("upload.sending"), "sending");
    if (instructions.mode === "multipart") await this.sendParts(instructions);
    else if (instructions.put) await this.put(instructions.put, file, (n) => this.progress(n));
    this.button.hidden = true;
    this.show(say("upload.checking"), "checking");
    const done = await api("POST", `/api/v1/orders/${orderId()}/${collection()}/${this.sampleId}/complete`, {});
    forget(file);
    if (done.status === 200) return this.verified(done.body);
    return this.refused(done.body);
  }

  async sendParts(instructions) {
    this.button.hidden = false;
    const partSize = instructions.part_size;
    let sent = (instructions.uploaded_parts || []).reduce((sum, p) => sum + (p.size || 0), 0);
    this.progress(sent);
    for (const part of instructions.parts_to_upload || []) {
      if (this.paused) throw new Paused();
      const start = (part.part_number - 1) * partSize;
      const bytes = await this.file.slice(start, start + part.size).arrayBuffer();
      const sha256 = await hexDigest(bytes);
      const signed = await api("POST", instructions.sign_parts_url, {
        parts: [{ part_number: part.part_number, sha256 }],
      });
      if (signed.status !== 200) throw new Error(signed.body?.code || "sign");
      const base = sent;
      await this.put(signed.body.parts[0].request, bytes, (n) => this.progress(base + n));
      sent += part.size;
      this.progress(sent);
    }
  }

  verified(sample) {
    this.bar.value = this.bar.max;
    this.rate.textContent = "";
    const meta = sample.metadata || {};
    let size = "";
    if (meta.width && meta.height && (sample.kind === "photo" || sample.kind === "document")) size = `${meta.width} × ${meta.height}`;
    else if (meta.duration_ms) {
      const secs = Math.round(meta.duration_ms / 1000);
      size = say("samples.duration", { min: Math.floor(secs / 60), sec: secs % 60 });
    }
    this.show(size ? say("upload.verified_with", { size }) : say("upload.verified"), "verified");
    document.getElementById("sent-none")?.remove();
    refreshSufficiency();
  }

  refused(problem) {
    this.rate.textContent = "";
    this.button.hidden = true;
    const code = problem?.code || "other";
    const text = words[`upload.rejected.${code}.${this.kind}`] || words[`upload.rejected.${code}`] || say("upload.rejected.other");
    this.show(text, "rejected");
  }
}

async function refreshSufficiency() {
  if (!document.getElementById("sufficiency")) return;
  const report = await api("GET", `/api/v1/orders/${orderId()}/sufficiency`);
  if (report.status !== 200) return;
  const list = document.getElementById("sufficiency");
  if (!list) return;
  list.replaceChildren(...report.body.criteria.map((c) => {
    const item = document.createElement("li");
    const photos = c.name === "photos";
    const unit = photos ? "photos" : c.name === "voice_seconds" ? "voice" : "video";
    const have = photos ? c.actual
      : c.actual < 60 ? say("sufficiency.seconds", { n: c.actual })
      : say("sufficiency.minutes", { n: Math.floor(c.actual / 60) });
    const missing = Math.max(0, c.required - c.actual);
    const more = Math.max(1, photos ? missing : Math.ceil(missing / 60));
    item.textContent = c.met ? say(`sufficiency.${unit}_met`, { have }) : say(`sufficiency.${unit}_more`, { have, more });
    return item;
  }));
}

// One file at a time: a phone's connection is better used fully by one upload.
const queue = [];
let busy = false;
async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const upload = queue.shift();
    try {
      await upload.run();
    } catch (err) {
      if (err instanceof Paused) upload.show(say("upload.paused"), "paused");
      else upload.show(navigator.onLine ? say("upload.failed") : say("upload.offline"), "failed");
    }
  }
  busy = false;
}

function add(files) {
  const list = document.getElementById("queue");
  for (const file of files) {
    const upload = new Upload(file);
    list.append(upload.row);
    queue.push(upload);
  }
  pump();
}

if (root) {
  const input = document.getElementById("files");
  input.addEventListener("change", () => { add(Array.from(input.files)); input.value = ""; });
  const drop = root.querySelector(".drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    add(Array.from(e.dataTransfer.files));
  });
}
