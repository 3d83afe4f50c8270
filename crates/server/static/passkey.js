// Passkey sign-in for the second-factor page (see src/ui/passkey.rs). No third party, no
// inline script: the CSP allows only our own files. Binary fields travel base64url.
"use strict";
(function () {
  const box = document.getElementById("passkey-box");
  const button = document.getElementById("passkey");
  const errorBox = document.getElementById("passkey-error");
  if (!box || !button || !window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  box.hidden = false;

  const fromB64u = (s) => {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64u = (buf) => {
    let bin = "";
    new Uint8Array(buf).forEach((b) => { bin += String.fromCharCode(b); });
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const csrf = () => {
    const m = document.cookie.match(/(?:^|; )__Host-tradeward_csrf=([^;]*)/);
    return m ? m[1] : "";
  };
  const fail = (text) => {
    errorBox.textContent = text;
    errorBox.hidden = false;
  };

  button.addEventListener("click", async () => {
    errorBox.hidden = true;
    try {
      const begin = await fetch("/login/passkey/options", { method: "POST" });
      const opts = await begin.json();
      if (!begin.ok) {
        fail(opts.error ? opts.error.message : "This sign-in cannot use a passkey.");
        return;
      }
      const pk = opts.options.publicKey;
      pk.challenge = fromB64u(pk.challenge);
      (pk.allowCredentials || []).forEach((c) => { c.id = fromB64u(c.id); });
      const cred = await navigator.credentials.get({ publicKey: pk });
      const r = cred.response;
      const body = {
        credential: {
          id: cred.id,
          rawId: toB64u(cred.rawId),
          type: cred.type,
          extensions: cred.getClientExtensionResults(),
          response: {
            authenticatorData: toB64u(r.authenticatorData),
            clientDataJSON: toB64u(r.clientDataJSON),
            signature: toB64u(r.signature),
            userHandle: r.userHandle ? toB64u(r.userHandle) : null,
          },
        },
      };
      const finish = await fetch("/login/passkey", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify(body),
      });
      const answer = await finish.json();
      if (finish.ok && answer.next) {
        window.location.assign(answer.next);
      } else {
        fail(answer.error ? answer.error.message : "The passkey was not accepted.");
      }
    } catch (e) {
      fail("The passkey prompt was cancelled or failed.");
    }
  });
})();
