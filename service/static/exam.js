// The exam page. Each answer is kept in the browser (localStorage, by attempt) until the server acknowledges
// it, and sent again until it is: a dropped network or a reload loses nothing. The clock counts down the time
// the server allows and asks the server again every half minute (extra time reaches an open page) and when it
// reaches zero, then submits. A question can be flagged for review; the list of questions shows which are
// answered, unanswered, flagged or not yet saved; submitting asks first, naming what is unanswered.
(function () {
  "use strict";
  const form = document.getElementById("exam");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const urls = { save: form.dataset.saveUrl, time: form.dataset.timeUrl, result: form.dataset.resultUrl };
  const fieldsets = Array.from(form.querySelectorAll("fieldset.item"));
  const byPosition = new Map(fieldsets.map((fieldset) => [fieldset.dataset.position, fieldset]));
  const links = new Map(Array.from(document.querySelectorAll("#danh-sach-cau a[data-position]"))
    .map((link) => [link.dataset.position, link]));
  const summary = document.getElementById("save-summary");
  const announcer = document.getElementById("announce");
  const POLL_MS = 30000;
  const RETRY_MAX_MS = 15000;

  // -- the browser's copy: answers the server has not acknowledged, and the flags ----------------------------

  const storeKey = "sathach.bai-thi." + form.dataset.attempt;
  const store = readStore();

  function readStore() {
    try {
      const found = JSON.parse(window.localStorage.getItem(storeKey) || "null");
      if (found && typeof found.pending === "object" && Array.isArray(found.flags)) return found;
    } catch (error) { /* unreadable or unavailable: start empty */ }
    return { pending: {}, flags: [] };
  }

  let storeWorks = true; // false when the browser refuses to keep the copy (private mode, storage full)

  function writeStore() {
    try {
      window.localStorage.setItem(storeKey, JSON.stringify(store));
      storeWorks = true;
    } catch (error) {
      storeWorks = false; // the answers are still kept in this page; leaving it is warned against
    }
  }

  function forgetStore() {
    try { window.localStorage.removeItem(storeKey); } catch (error) { /* nothing to forget */ }
  }

  // -- reading and showing answers ------------------------------------------------------------------------------

  function answerOf(fieldset) {
    const type = fieldset.dataset.type;
    if (type === "ordering") {
      return Array.from(fieldset.querySelectorAll("ol.ordering > li")).map((li) => li.dataset.id);
    }
    const checked = Array.from(fieldset.querySelectorAll("input:checked")).map((input) => input.value);
    if (type === "multiple_response") return checked;
    if (checked.length === 0) return null;
    if (type === "true_false") return checked[0] === "true";
    return checked[0];
  }

  function show(fieldset, answer) {
    if (fieldset.dataset.type === "ordering") {
      const list = fieldset.querySelector("ol.ordering");
      const items = new Map(Array.from(list.children).map((li) => [li.dataset.id, li]));
      (answer || []).forEach((id) => { if (items.has(id)) list.appendChild(items.get(id)); });
      fieldset.dataset.answered = answer ? "yes" : "";
      return;
    }
    const chosen = Array.isArray(answer) ? answer.map(String) : answer === null ? [] : [String(answer)];
    fieldset.querySelectorAll("input").forEach((input) => { input.checked = chosen.includes(input.value); });
  }

  function answered(fieldset) {
    if (fieldset.dataset.type === "ordering") return fieldset.dataset.answered === "yes";
    return fieldset.querySelector("input:checked") !== null;
  }

  // -- saving: one request at a time per question, the newest answer wins, retried until acknowledged ---------

  const sending = new Set();
  const failed = new Map(); // position -> why the last try failed
  let retryDelay = 1000;
  let retryTimer = null;
  let sessionEnded = false;
  let submitting = false;
  let finished = false;

  function record(fieldset) {
    const position = fieldset.dataset.position;
    store.pending[position] = answerOf(fieldset);
    writeStore();
    setState(fieldset, "pending", "Đang lưu…");
    send(position);
  }

  async function send(position) {
    if (sending.has(position) || !(position in store.pending) || sessionEnded || finished) return;
    const answer = store.pending[position];
    sending.add(position);
    refresh();
    let outcome;
    try {
      const response = await fetch(urls.save + position, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ answer: answer }),
      });
      outcome = await outcomeOf(response);
    } catch (error) {
      outcome = { kind: "retry", why: "mất kết nối" };
    }
    sending.delete(position);
    const fieldset = byPosition.get(position);
    if (outcome.kind === "saved") {
      failed.delete(position);
      retryDelay = 1000;
      if (JSON.stringify(store.pending[position]) === JSON.stringify(answer)) {
        delete store.pending[position];
        writeStore();
        setState(fieldset, "saved", "Đã lưu");
      } else {
        send(position); // changed while this one was on its way
      }
      followServerClock(outcome.body);
    } else if (outcome.kind === "closed") {
      goToResult();
    } else if (outcome.kind === "refused") {
      // The server will never take this answer (it says why); keeping it would only retry for nothing.
      delete store.pending[position];
      writeStore();
      failed.set(position, outcome.why);
      setState(fieldset, "failed", "Chưa lưu được: " + outcome.why);
    } else if (outcome.kind === "session") {
      failed.set(position, outcome.why);
      setState(fieldset, "failed", "Chưa lưu: " + outcome.why);
      endSession();
    } else {
      failed.set(position, outcome.why);
      setState(fieldset, "failed", "Chưa lưu (" + outcome.why + "), sẽ tự gửi lại");
      scheduleRetry();
    }
    refresh();
  }

  async function outcomeOf(response) {
    const path = new URL(response.url, window.location.href).pathname;
    if (response.redirected && path.startsWith("/dang-nhap")) return { kind: "session", why: "phiên đăng nhập đã hết" };
    let body = null;
    try { body = await response.json(); } catch (error) { /* not JSON: judged by the status below */ }
    if (response.ok && body && body.saved) return { kind: "saved", body: body };
    if (response.status === 409) return { kind: "closed" };
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      return { kind: "session", why: "phiên làm bài đã hết hiệu lực" };
    }
    if (response.status === 404 || response.status === 422) {
      return { kind: "refused", why: (body && body.message) || "câu trả lời không hợp lệ" };
    }
    return { kind: "retry", why: response.status >= 500 ? "máy chủ tạm thời không trả lời" : "lỗi " + response.status };
  }

  function scheduleRetry() {
    if (retryTimer !== null || finished) return;
    retryTimer = window.setTimeout(() => {
      retryTimer = null;
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
      sendAll();
    }, retryDelay);
  }

  function sendAll() {
    Object.keys(store.pending).forEach(send);
  }

  function endSession() {
    sessionEnded = true;
    document.getElementById("session-ended").hidden = false;
  }

  function setState(fieldset, kind, text) {
    const state = fieldset.querySelector(".save-state");
    state.className = "save-state " + kind;
    state.textContent = text;
  }

  // -- what the page shows about all questions ------------------------------------------------------------------

  function refresh() {
    let count = 0;
    fieldsets.forEach((fieldset) => {
      const position = fieldset.dataset.position;
      const isAnswered = answered(fieldset);
      const flagged = store.flags.includes(position);
      const unsaved = position in store.pending || failed.has(position);
      if (isAnswered) count += 1;
      const link = links.get(position);
      link.classList.toggle("answered", isAnswered);
      link.classList.toggle("flagged", flagged);
      link.classList.toggle("unsaved", unsaved);
      link.setAttribute("aria-label", "Câu " + position + ": " + (isAnswered ? "đã trả lời" : "chưa trả lời") +
        (flagged ? ", đánh dấu xem lại" : "") + (unsaved ? ", chưa lưu" : ""));
      fieldset.classList.toggle("flagged", flagged);
      const flag = fieldset.querySelector("button.flag");
      flag.setAttribute("aria-pressed", String(flagged));
    });
    document.getElementById("answered-count").textContent =
      "Đã trả lời " + count + "/" + fieldsets.length + " câu · đánh dấu xem lại " + store.flags.length + " câu";
    const waiting = Object.keys(store.pending).length;
    let text = "Mọi câu trả lời đã được lưu.";
    let warning = false;
    if (sessionEnded) {
      text = unsavedPositions().length + " câu chưa lưu: phiên làm bài đã hết hiệu lực, hãy mở lại trang.";
      warning = true;
    } else if (failed.size > 0) {
      text = unsavedPositions().length + " câu chưa lưu (" + Array.from(failed.values())[0] +
        "). Câu trả lời được giữ trong trình duyệt và sẽ tự gửi lại.";
      warning = true;
    } else if (waiting > 0) {
      text = "Đang lưu…";
    }
    if (submitting && !sessionEnded) return; // the summary says how the submission goes
    if (summary.textContent !== text) summary.textContent = text;
    summary.classList.toggle("warning", warning);
  }

  function unsavedPositions() {
    const positions = new Set([...Object.keys(store.pending), ...failed.keys()]);
    return Array.from(positions).sort((a, b) => Number(a) - Number(b));
  }

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  // -- answering, ordering by mouse or keyboard, flagging ---------------------------------------------------------

  fieldsets.forEach((fieldset) => {
    fieldset.addEventListener("change", () => record(fieldset));
    fieldset.querySelectorAll("button.up, button.down").forEach((button) => {
      button.addEventListener("click", () => move(fieldset, button));
    });
    const keep = fieldset.querySelector("button.keep");
    if (keep) {
      keep.addEventListener("click", () => {
        fieldset.dataset.answered = "yes";
        record(fieldset);
        announce("Đã chọn thứ tự đang hiện cho câu " + fieldset.dataset.position + ".");
      });
    }
    fieldset.querySelector("button.flag").addEventListener("click", () => {
      const position = fieldset.dataset.position;
      const at = store.flags.indexOf(position);
      if (at >= 0) store.flags.splice(at, 1); else store.flags.push(position);
      writeStore();
      refresh();
    });
  });

  function move(fieldset, button) {
    // The neighbour moves, not the entry whose button has the focus: the focus stays where it is.
    const li = button.closest("li");
    const list = li.parentNode;
    const text = li.querySelector(".text").textContent;
    if (button.classList.contains("up")) {
      const before = li.previousElementSibling;
      if (!before) { announce(text + " đã ở vị trí đầu."); return; }
      list.insertBefore(before, li.nextElementSibling);
    } else {
      const after = li.nextElementSibling;
      if (!after) { announce(text + " đã ở vị trí cuối."); return; }
      list.insertBefore(after, li);
    }
    if (document.activeElement !== button) button.focus();
    const place = Array.from(list.children).indexOf(li) + 1;
    announce(text + ": vị trí " + place + " trên " + list.children.length + ".");
    fieldset.dataset.answered = "yes";
    record(fieldset);
  }

  // -- the clock: the server's time, counted down here ----------------------------------------------------------

  const timer = document.getElementById("timer");
  const deadlineText = document.getElementById("deadline");
  let end = Date.now() + Number(timer.dataset.remaining) * 1000;
  let askingAtZero = false;
  const warned = new Set();

  function followServerClock(body) {
    if (!body || typeof body.remaining !== "number") return;
    const serverEnd = Date.now() + body.remaining * 1000;
    if (serverEnd - end > 2000) {
      announce("Bạn được cộng thêm thời gian. Hạn nộp mới: " + body.deadline + ".");
      warned.clear();
    }
    if (Math.abs(serverEnd - end) > 2000) end = serverEnd;
    deadlineText.textContent = body.deadline;
  }

  async function askServerClock() {
    try {
      const response = await fetch(urls.time, { headers: { Accept: "application/json" } });
      if (response.redirected) { endSession(); refresh(); return null; }
      const body = await response.json();
      if (body.status === "closed") { goToResult(); return null; }
      followServerClock(body);
      return body;
    } catch (error) {
      return null; // offline: the page keeps its own count
    }
  }

  function shown(seconds) {
    const hours = Math.floor(seconds / 3600);
    const minutes = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
    const rest = String(seconds % 60).padStart(2, "0");
    return (hours > 0 ? hours + ":" : "") + minutes + ":" + rest;
  }

  async function tick() {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    timer.textContent = "Còn lại " + shown(left);
    timer.classList.toggle("low", left <= 300);
    [10, 5, 1].forEach((minutes) => {
      if (left <= minutes * 60 && left > 0 && !warned.has(minutes)) {
        warned.add(minutes);
        announce("Còn " + minutes + " phút.");
      }
    });
    if (left === 0 && !askingAtZero && !finished) {
      askingAtZero = true;
      const body = await askServerClock(); // extra time may have been granted since the last poll
      askingAtZero = false;
      if (!finished && (body === null || body.remaining <= 0)) {
        submitExam(true);
        return;
      }
    }
    if (!finished) window.setTimeout(tick, 1000);
  }

  function poll() {
    if (finished) return;
    askServerClock().finally(() => window.setTimeout(poll, POLL_MS));
  }

  // -- submitting: asked first, naming what is unanswered; the unsaved answers are sent before -----------------

  const dialog = document.getElementById("confirm-submit");
  const submitButton = document.getElementById("submit-exam");
  let focusAfterClose = submitButton; // or the question chosen from the dialog's lists

  function fillList(box, positions) {
    box.hidden = positions.length === 0;
    const list = box.querySelector("ul");
    list.replaceChildren(...positions.map((position) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#cau-" + position;
      link.textContent = "Câu " + position;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        focusAfterClose = byPosition.get(position);
        dialog.close();
      });
      item.appendChild(link);
      return item;
    }));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const unanswered = fieldsets.filter((fieldset) => !answered(fieldset)).map((f) => f.dataset.position);
    document.getElementById("confirm-summary").textContent = unanswered.length === 0
      ? "Bạn đã trả lời cả " + fieldsets.length + " câu."
      : "Bạn còn " + unanswered.length + " câu chưa trả lời (trên " + fieldsets.length + " câu).";
    fillList(document.getElementById("confirm-unanswered"), unanswered);
    fillList(document.getElementById("confirm-flagged"), store.flags.slice().sort((a, b) => a - b));
    const unsaved = unsavedPositions();
    const warning = document.getElementById("confirm-unsaved");
    warning.hidden = unsaved.length === 0;
    warning.textContent = unsaved.length === 0 ? "" : "Câu " + unsaved.join(", ") +
      " chưa lưu được lên máy chủ; trang sẽ gửi lại trước khi nộp.";
    dialog.showModal();
    document.getElementById("confirm-no").focus();
  });
  document.getElementById("confirm-no").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (!submitting) {
      focusAfterClose.scrollIntoView();
      focusAfterClose.focus();
    }
    focusAfterClose = submitButton;
  });
  document.getElementById("confirm-yes").addEventListener("click", () => {
    submitExam(false);
    dialog.close();
  });

  function sleep(ms) {
    return new Promise((resolve) => window.setTimeout(resolve, ms));
  }

  async function flushPending(withinMs) {
    sendAll();
    const until = Date.now() + withinMs;
    while ((Object.keys(store.pending).length > 0 || sending.size > 0) && Date.now() < until && !finished) {
      await sleep(200);
      sendAll();
    }
  }

  async function submitExam(timeUp) {
    if (submitting || finished) return;
    submitting = true;
    submitButton.disabled = true;
    summary.textContent = timeUp ? "Hết giờ: đang nộp bài…" : "Đang nộp bài…";
    for (;;) {
      await flushPending(5000);
      if (finished) return;
      try {
        const response = await fetch(form.action, {
          method: "POST", body: new URLSearchParams({ csrf_token: form.elements.csrf_token.value }),
        });
        const path = new URL(response.url, window.location.href).pathname;
        if (response.ok && !path.startsWith("/dang-nhap")) {
          finish(response.url);
          return;
        }
        if (path.startsWith("/dang-nhap") || response.status === 400) endSession();
      } catch (error) { /* offline: try again below */ }
      if (sessionEnded) { // only the page opened again (signing in if asked) can submit
        submitting = false;
        refresh();
        return;
      }
      summary.textContent = (timeUp ? "Hết giờ. " : "") + "Chưa nộp được bài (mất kết nối?), đang thử lại…";
      summary.classList.add("warning");
      await sleep(3000);
    }
  }

  function finish(url) {
    finished = true;
    forgetStore();
    window.location.assign(url);
  }

  function goToResult() {
    finish(urls.result);
  }

  window.addEventListener("beforeunload", (event) => {
    // Unsaved answers survive leaving the page in the browser's copy; only without one is leaving a loss.
    if (!finished && !storeWorks && Object.keys(store.pending).length > 0) event.preventDefault();
  });
  window.addEventListener("online", () => { retryDelay = 1000; sendAll(); askServerClock(); });

  // -- start: answers this browser still holds from before a reload go back on the page and to the server -----

  Object.entries(store.pending).forEach(([position, answer]) => {
    const fieldset = byPosition.get(position);
    if (!fieldset) { delete store.pending[position]; return; }
    show(fieldset, answer);
    setState(fieldset, "pending", "Chưa gửi được lần trước, đang gửi lại…");
  });
  refresh();
  sendAll();
  tick();
  window.setTimeout(poll, POLL_MS);
})();
