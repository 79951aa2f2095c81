// The verification upload form: say at once, beside the field, when the chosen file is too large or is not a PDF
// (the server says the same if this script does not run), so that nothing is sent in vain.
"use strict";
document.querySelectorAll("form.verify-upload input[type=file]").forEach((input) => {
  const limit = Number(input.dataset.maxBytes);
  const limitText = input.dataset.maxText;
  const message = document.createElement("p");
  message.className = "error";
  message.id = "file-check";
  message.hidden = true;
  message.setAttribute("role", "alert");
  input.insertAdjacentElement("afterend", message);

  function problem(file) {
    if (!file) return "";
    if (limit && file.size > limit) {
      return `Tệp quá lớn (${(file.size / 1048576).toFixed(1).replace(".", ",")} MB): chỉ nhận tệp tối đa ${limitText}.`;
    }
    if (!/\.pdf$/i.test(file.name) && file.type !== "application/pdf") {
      return "Tệp đã chọn không phải tệp PDF. Hãy chọn tệp PDF của giấy chứng nhận.";
    }
    return "";
  }

  input.addEventListener("change", () => {
    const text = problem(input.files[0]);
    input.setCustomValidity(text);
    message.textContent = text;
    message.hidden = !text;
    if (text) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "file-check");
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  });
});
