// The person picker's matches follow the typing; without this script the 查找 button does the same search.
document.querySelectorAll("[data-picker]").forEach(function (box) {
  var input = box.querySelector("input[name=person_q]");
  var list = box.querySelector(".picker-results");
  var timer = null;
  var asked = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q === asked) return;
      asked = q;
      if (q === "") { list.innerHTML = ""; return; }
      var url = box.dataset.picker + "?q=" + encodeURIComponent(q) + "&back=" + encodeURIComponent(box.dataset.back);
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (asked === q) list.innerHTML = html; });
    }, 250);
  });
});
