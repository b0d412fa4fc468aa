// Review grid: keyboard-first grading over the review API. Thumbnails come blurred from the server; "V"
// asks the server for the focused item sharp (an audited unblur) and asks again blurred to hide it. Videos
// are contact sheets (still images): nothing here plays anything.
(function () {
  "use strict";
  const grid = document.getElementById("grid");
  if (!grid) return;
  grid.style.setProperty("--thumb", grid.dataset.thumb + "px");
  const scan = grid.dataset.scan;
  const csrf = grid.dataset.csrf;
  const cards = Array.from(grid.querySelectorAll(".card"));
  const announce = document.getElementById("announce");
  const problem = document.getElementById("problem");
  const keys = {};
  document.querySelectorAll("#keys-help dd[data-key]").forEach(function (dd) {
    keys[dd.dataset.key] = { code: dd.dataset.code, label: dd.dataset.label };
  });
  let at = 0;
  let busy = false;

  function say(text) { announce.textContent = text; }
  function fail(text) { problem.textContent = text; problem.hidden = false; }
  function clearFail() { problem.hidden = true; problem.textContent = ""; }

  function focusCard(i) {
    if (!cards.length) return;
    at = Math.max(0, Math.min(cards.length - 1, i));
    const card = cards[at];
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
    history.replaceState(null, "", "#" + card.id);
  }

  function columns() {
    if (cards.length < 2) return 1;
    const top = cards[0].offsetTop;
    const n = cards.findIndex(function (c) { return c.offsetTop !== top; });
    return n === -1 ? cards.length : n;
  }

  function nextOpen(from) {
    for (let i = from + 1; i < cards.length; i++) {
      if (cards[i].dataset.state === "open" || cards[i].dataset.state === "mixed") return i;
    }
    return Math.min(from + 1, cards.length - 1);
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const message = data && data.error ? data.error.message : "the server refused (" + response.status + ")";
      throw new Error(message);
    }
    return data;
  }

  function setState(card, state, badge) {
    card.dataset.state = state;
    card.querySelector("[data-badge]").textContent = badge;
  }

  async function act(kind, category) {
    const card = cards[at];
    if (!card || busy) return;
    busy = true;
    clearFail();
    const group = card.dataset.group;
    try {
      if (kind === "grade") {
        await post("/api/v1/review/" + group + "/grade", { category: category.code });
        setState(card, "graded", category.code);
        say("Group graded " + category.label);
      } else {
        await post("/api/v1/review/" + group + "/ignore");
        setState(card, "ignored", "ignored");
        say("Group ignored");
      }
      focusCard(nextOpen(at));
    } catch (err) {
      fail(err.message);
    } finally {
      busy = false;
    }
  }

  async function undo() {
    if (busy) return;
    busy = true;
    clearFail();
    try {
      await post("/api/v1/scans/" + scan + "/review/undo");
      // The items undone may be anywhere on this page: show it again as the store has it.
      window.location.reload();
    } catch (err) {
      fail(err.message);
      busy = false;
    }
  }

  function toggleSharp(img) {
    if (!img) return;
    const sharp = img.dataset.shown === "sharp";
    img.dataset.shown = sharp ? "blurred" : "sharp";
    img.src = sharp ? img.dataset.blurred : img.dataset.sharp;
    img.alt = img.alt.replace(sharp ? ", unblurred" : ", blurred", sharp ? ", blurred" : ", unblurred");
    say(sharp ? "Blurred again" : "Unblurred (recorded)");
  }

  function go(id) {
    const link = document.getElementById(id);
    if (link) window.location.href = link.href;
  }

  document.addEventListener("keydown", function (ev) {
    const target = ev.target;
    if (target && (target.closest("form") || ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(target.tagName))) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    let handled = true;
    // Past either end of the page, the arrows turn the page.
    if (key === "ArrowRight") { if (at === cards.length - 1) go("next-page"); else focusCard(at + 1); }
    else if (key === "ArrowLeft") { if (at === 0) go("previous-page"); else focusCard(at - 1); }
    else if (key === "ArrowDown") focusCard(at + columns());
    else if (key === "ArrowUp") focusCard(at - columns());
    else if (key === "Home") focusCard(0);
    else if (key === "End") focusCard(cards.length - 1);
    else if (key === "s" || key === " ") { focusCard(at + 1); say("Skipped"); }
    else if (key === "i") act("ignore");
    else if (key === "u") undo();
    else if (key === "v") toggleSharp(cards[at] && cards[at].querySelector("img.thumb"));
    else if (key === "PageDown") go("next-page");
    else if (key === "PageUp") go("previous-page");
    else if (keys[key]) act("grade", keys[key]);
    else handled = false;
    if (handled) ev.preventDefault();
  });

  // Focus that arrives otherwise (a click, assistive technology) moves the cursor too.
  grid.addEventListener("focusin", function (ev) {
    const card = ev.target.closest(".card");
    if (card) at = cards.indexOf(card);
  });

  grid.addEventListener("click", function (ev) {
    const card = ev.target.closest(".card");
    if (!card) return;
    focusCard(cards.indexOf(card));
    if (ev.target.matches("img.thumb")) toggleSharp(ev.target);
  });

  // Time in review, reported each minute the page is in front of the user, and the break reminder.
  const breakAfter = parseFloat(grid.dataset.breakMinutes || "0");
  let minutes = parseFloat(grid.dataset.todayMinutes || "0");
  let reminded = false;
  const banner = document.getElementById("break");
  function remind() {
    if (reminded || !breakAfter || minutes < breakAfter) return;
    reminded = true;
    document.getElementById("break-minutes").textContent = Math.round(minutes);
    banner.hidden = false;
  }
  document.getElementById("break-dismiss").addEventListener("click", function () { banner.hidden = true; });
  setInterval(function () {
    if (document.visibilityState !== "visible") return;
    post("/api/v1/review/time", { seconds: 60 }).then(function (data) {
      minutes = data.today_minutes;
      document.getElementById("today-minutes").textContent = minutes;
      remind();
    }).catch(function () { /* the next minute tries again */ });
  }, 60000);
  remind();

  const start = window.location.hash ? cards.findIndex(function (c) { return "#" + c.id === window.location.hash; }) : -1;
  focusCard(start >= 0 ? start : nextOpen(-1));
})();
