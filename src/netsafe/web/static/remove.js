/* The /remove page: hash the chosen photos here, send only the hashes, show the reference and secret. */
"use strict";

(() => {
  const form = document.getElementById("remove-form");
  if (!form) return;
  const files = document.getElementById("remove-files");
  const under18 = document.getElementById("remove-under18");
  const status = document.getElementById("remove-progress");
  const button = document.getElementById("remove-send");
  const done = document.getElementById("remove-done");
  const upload = document.getElementById("remove-upload"); // the second way, only if the service offers it

  if (upload) {
    upload.addEventListener("change", () => {
      button.textContent = upload.checked ? "Send my picture to be checked" : "Send the fingerprints";
    });
  }

  function show(answer, words) {
    files.value = "";
    form.hidden = true;
    say("");
    document.getElementById("remove-done-words").textContent = words;
    document.getElementById("remove-reference").textContent = answer.reference;
    document.getElementById("remove-secret").textContent = answer.secret;
    done.hidden = false;
    done.focus();
  }

  async function sendPicture(file) {
    say("Sending your picture, locked on the way...");
    const response = await fetch(
      "/api/v1/remove-requests/upload?age_under_18=" + (under18.checked ? "true" : "false"),
      {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/octet-stream" },
        body: file,
      },
    );
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = (answer.error && answer.error.message) || "something went wrong";
      say(`It did not work: ${message}. Please try again later.`, true);
      button.disabled = false;
      return;
    }
    show(answer, "Done. Your picture was sent. An analyst will check it, and then it is deleted.");
  }

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "hint";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = Array.from(files.files || []);
    if (chosen.length === 0) {
      say("Choose at least one photo or video first.", true);
      return;
    }
    if (upload && upload.checked && chosen.length !== 1) {
      say("To send a picture to be checked, choose one photo or video.", true);
      return;
    }
    button.disabled = true;
    try {
      if (upload && upload.checked) {
        await sendPicture(chosen[0]);
        return;
      }
      const items = [];
      for (let i = 0; i < chosen.length; i++) {
        say(`Making fingerprints on your phone: ${i + 1} of ${chosen.length}...`);
        items.push(await NetsafeHashes.hashFile(chosen[i]));
      }
      say("Sending the fingerprints (not the pictures)...");
      const response = await fetch("/api/v1/remove-requests", {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ items, age_under_18: under18.checked }),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        const message = (answer.error && answer.error.message) || "something went wrong";
        say(`It did not work: ${message}. Please try again later.`, true);
        button.disabled = false;
        return;
      }
      window.__netsafeSent = items; // for the tests' checks; holds only the hashes that were sent
      show(answer, "Done. The fingerprints were sent.");
    } catch (e) {
      say(upload && upload.checked ? "Your picture could not be sent. Please try again later."
        : "Your browser could not make the fingerprints. Please try another browser.", true);
      button.disabled = false;
    }
  });
})();
