// Review decisions on the conflict audit page: each form posts its decision with the bearer token
// the reviewer typed once (kept for this browser tab only), then reloads the page to show it.
(function () {
  "use strict";
  const tokenField = document.getElementById("review-token");
  if (!tokenField) { return; }
  tokenField.value = sessionStorage.getItem("evkg-review-token") || "";
  tokenField.addEventListener("change", function () {
    sessionStorage.setItem("evkg-review-token", tokenField.value);
  });
  document.querySelectorAll("form.review").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const result = form.querySelector(".result");
      const body = {
        status: form.elements.status.value,
        reviewer: form.elements.reviewer.value,
        rationale: form.elements.rationale.value,
      };
      result.textContent = "recording…";
      fetch("/api/conflicts/" + encodeURIComponent(form.dataset.target) + "/review", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + tokenField.value },
        body: JSON.stringify(body),
      }).then(function (reply) {
        return reply.json().then(function (data) {
          if (reply.ok) {
            result.textContent = "recorded: " + data.status;
            window.location.reload();
          } else {
            result.textContent = "not recorded: " + data.error.detail;
          }
        });
      }).catch(function (error) { result.textContent = "not recorded: " + error; });
    });
  });
})();
