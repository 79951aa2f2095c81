// The exam page: saves each answer as it is given and shows the time the server allows.
(function () {
  "use strict";
  const form = document.getElementById("exam");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const saveUrl = form.dataset.saveUrl;

  function answerOf(fieldset) {
    const type = fieldset.dataset.type;
    if (type === "ordering") {
      return Array.from(fieldset.querySelectorAll("li")).map((li) => li.dataset.id);
    }
    const checked = Array.from(fieldset.querySelectorAll("input:checked")).map((input) => input.value);
    if (type === "multiple_response") return checked;
    if (checked.length === 0) return null;
    if (type === "true_false") return checked[0] === "true";
    return checked[0];
  }

  async function save(fieldset) {
    const state = fieldset.querySelector(".save-state");
    state.textContent = "Đang lưu…";
    try {
      const response = await fetch(saveUrl + fieldset.dataset.position, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ answer: answerOf(fieldset) }),
      });
      const body = await response.json();
      state.textContent = response.ok ? "Đã lưu" : "Chưa lưu được: " + body.message;
      if (response.status === 409) form.submit();
    } catch (error) {
      state.textContent = "Chưa lưu được (mất kết nối?), hãy chọn lại.";
    }
  }

  form.querySelectorAll("fieldset.item").forEach((fieldset) => {
    fieldset.addEventListener("change", () => save(fieldset));
    fieldset.querySelectorAll("button.up, button.down").forEach((button) => {
      button.addEventListener("click", () => {
        const li = button.closest("li");
        if (button.classList.contains("up") && li.previousElementSibling) {
          li.parentNode.insertBefore(li, li.previousElementSibling);
        } else if (button.classList.contains("down") && li.nextElementSibling) {
          li.parentNode.insertBefore(li.nextElementSibling, li);
        }
        save(fieldset);
      });
    });
  });

  form.addEventListener("submit", (event) => {
    if (!form.dataset.timeUp && !window.confirm("Nộp bài? Sau khi nộp bạn không thể sửa câu trả lời.")) {
      event.preventDefault();
    }
  });

  const timer = document.getElementById("timer");
  const end = Date.now() + Number(timer.dataset.remaining) * 1000;
  function tick() {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    const minutes = String(Math.floor(left / 60)).padStart(2, "0");
    const seconds = String(left % 60).padStart(2, "0");
    timer.textContent = "Còn lại " + minutes + ":" + seconds;
    if (left === 0) {
      form.dataset.timeUp = "1";
      form.submit();
      return;
    }
    setTimeout(tick, 1000);
  }
  tick();
})();
