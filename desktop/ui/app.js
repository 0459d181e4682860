// Disclose Wallet: the page. It shows screens and calls the app's commands; it never holds
// keys and never builds HTML from data (everything from the wallet goes in with
// textContent, so a credential's claims cannot inject markup or script).
'use strict';

(() => {
  const tauri = window.__TAURI__;
  const invoke = tauri.core.invoke;
  const listen = tauri.event.listen;

  const $ = (id) => document.getElementById(id);
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };

  // ---- Calling the app -------------------------------------------------------------------

  // Every command answers a value, or an error {code, message}. A "locked" answer anywhere
  // means the wallet locked itself: go to the unlock screen.
  async function call(command, args) {
    try {
      return await invoke(command, args || {});
    } catch (error) {
      const e = typeof error === 'object' && error && error.code
        ? error
        : { code: 'internal', message: 'Something went wrong. Try again; if it keeps happening, restart the app.' };
      if (e.code === 'locked' && command !== 'unlock') {
        showUnlock('The wallet locked itself. Enter your passphrase to continue.');
      }
      throw e;
    }
  }

  function announce(text) {
    const a = $('announcer');
    a.textContent = '';
    // A separate task so screen readers notice the same message twice.
    window.setTimeout(() => { a.textContent = text; }, 50);
  }

  // ---- Screens ---------------------------------------------------------------------------

  const screens = ['starting', 'welcome', 'create', 'restore', 'unlock', 'wallet'];
  let currentScreen = 'starting';

  function showScreen(name, focusId) {
    for (const s of screens) $('screen-' + s).hidden = s !== name;
    currentScreen = name;
    document.body.dataset.screen = name;
    const target = focusId ? $(focusId) : $('screen-' + name).querySelector('h1');
    if (target) target.focus();
  }

  function clearForm(form) {
    form.reset();
    for (const s of form.querySelectorAll('.strength')) resetStrength(s);
    for (const e of form.querySelectorAll('.form-error')) e.textContent = '';
  }

  function showUnlock(notice) {
    clearForm($('unlock-form'));
    for (const f of ['create-form', 'restore-form', 'backup-form']) clearForm($(f));
    $('unlock-notice').hidden = !notice;
    $('unlock-notice').textContent = notice || '';
    showScreen('unlock', 'unlock-passphrase');
    if (notice) announce(notice);
  }

  async function start() {
    let status;
    try {
      status = await call('app_status');
    } catch (e) {
      $('starting-title').textContent = e.message;
      return;
    }
    applyStatus(status);
    if (status.unlocked) {
      await openWallet();
    } else if (status.vault_exists) {
      showUnlock();
    } else {
      showScreen('welcome');
    }
  }

  function applyStatus(status) {
    const select = $('auto-lock');
    select.textContent = '';
    for (const minutes of status.auto_lock_choices) {
      const label = minutes === 1 ? '1 minute' : minutes === 60 ? '1 hour' : minutes + ' minutes';
      const option = el('option', null, label);
      option.value = String(minutes);
      option.selected = minutes === status.auto_lock_minutes;
      select.append(option);
    }
  }

  // ---- Buttons that only move between screens -------------------------------------------

  $('welcome-create').addEventListener('click', () => showScreen('create', 'create-passphrase'));
  $('welcome-restore').addEventListener('click', () => showScreen('restore', 'restore-file'));
  for (const b of document.querySelectorAll('[data-go]')) {
    b.addEventListener('click', () => {
      clearForm(b.closest('form'));
      showScreen(b.dataset.go);
    });
  }

  for (const b of document.querySelectorAll('[data-reveal]')) {
    b.addEventListener('click', () => {
      const input = $(b.dataset.reveal);
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      b.textContent = show ? 'Hide' : 'Show';
      b.setAttribute('aria-pressed', String(show));
      b.setAttribute('aria-label', show ? 'Hide passphrase' : 'Show passphrase');
    });
  }

  // ---- Passphrase strength ---------------------------------------------------------------

  function resetStrength(box) {
    delete box.dataset.score;
    box.dataset.acceptable = 'false';
    box.querySelector('.strength-label').textContent = '';
    box.querySelector('.strength-advice').textContent = '';
  }

  for (const box of document.querySelectorAll('[data-strength-for]')) {
    const input = $(box.dataset.strengthFor);
    let timer = null;
    let asked = 0;
    resetStrength(box);
    input.addEventListener('input', () => {
      window.clearTimeout(timer);
      if (!input.value) { resetStrength(box); return; }
      timer = window.setTimeout(async () => {
        const mine = ++asked;
        try {
          const s = await call('rate_passphrase', { passphrase: input.value });
          if (mine !== asked) return; // a newer keystroke is being rated
          box.dataset.score = String(s.score);
          box.dataset.acceptable = String(s.acceptable);
          box.querySelector('.strength-label').textContent = 'Strength: ' + s.label;
          const advice = box.querySelector('.strength-advice');
          advice.textContent = '';
          const lines = (s.warning ? [s.warning] : []).concat(s.acceptable ? [] : s.suggestions);
          for (const line of lines) advice.append(el('li', null, line));
        } catch (_) { /* the next keystroke tries again */ }
      }, 150);
    });
  }

  // Checks shared by the create, restore and backup forms.
  function newPassphraseProblem(passphraseId, confirmId) {
    const value = $(passphraseId).value;
    if (!value) return 'Enter a passphrase.';
    if (value !== $(confirmId).value) return 'The two passphrases are not the same.';
    return null;
  }

  async function busy(button, work) {
    const label = button.textContent;
    button.disabled = true;
    button.dataset.busy = 'true';
    try {
      return await work();
    } finally {
      button.disabled = false;
      delete button.dataset.busy;
      button.textContent = label;
    }
  }

  // ---- First run: create ---------------------------------------------------------------

  $('create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('create-error');
    error.textContent = '';
    const problem = newPassphraseProblem('create-passphrase', 'create-confirm');
    if (problem) { error.textContent = problem; return; }
    const button = $('create-submit');
    await busy(button, async () => {
      button.textContent = 'Creating your wallet…';
      try {
        await call('create_vault', { passphrase: $('create-passphrase').value });
        clearForm($('create-form'));
        announce('Your wallet is ready.');
        await openWallet();
      } catch (e) {
        error.textContent = e.message;
        $('create-passphrase').focus();
      }
    });
  });

  // ---- First run: restore --------------------------------------------------------------

  function readFileAsBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => {
        const url = String(reader.result);
        resolve(url.slice(url.indexOf(',') + 1));
      };
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  $('restore-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('restore-error');
    error.textContent = '';
    const file = $('restore-file').files[0];
    if (!file) { error.textContent = 'Choose your backup file.'; return; }
    if (!$('restore-backup-passphrase').value) { error.textContent = 'Enter the backup passphrase.'; return; }
    const problem = newPassphraseProblem('restore-passphrase', 'restore-confirm');
    if (problem) { error.textContent = problem; return; }
    const button = $('restore-submit');
    await busy(button, async () => {
      button.textContent = 'Restoring…';
      try {
        const backup = await readFileAsBase64(file);
        const restored = await call('import_backup', {
          backup,
          backupPassphrase: $('restore-backup-passphrase').value,
          newPassphrase: $('restore-passphrase').value,
        });
        clearForm($('restore-form'));
        announce('Your wallet was restored with ' + restored.credentials + ' credential' + (restored.credentials === 1 ? '' : 's') + '.');
        await openWallet();
      } catch (e) {
        error.textContent = e.code === 'wrong_passphrase'
          ? 'The backup passphrase does not open this backup. Check it and try again.'
          : e.message;
      }
    });
  });

  // ---- Unlock and lock ------------------------------------------------------------------

  $('unlock-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('unlock-error');
    error.textContent = '';
    const input = $('unlock-passphrase');
    if (!input.value) { error.textContent = 'Enter your passphrase.'; input.focus(); return; }
    const button = $('unlock-submit');
    await busy(button, async () => {
      let wait = 0;
      try { wait = (await call('app_status')).unlock_wait_seconds; } catch (_) { /* unlock will say */ }
      button.textContent = wait > 0 ? 'Checking… (after a short wait of ' + wait + ' s)' : 'Unlocking…';
      try {
        await call('unlock', { passphrase: input.value });
        clearForm($('unlock-form'));
        await openWallet();
      } catch (e) {
        let message = e.message;
        if (e.code === 'wrong_passphrase') {
          try {
            const next = (await call('app_status')).unlock_wait_seconds;
            if (next > 0) message += ' For your safety, the next try waits ' + next + (next === 1 ? ' second.' : ' seconds.');
          } catch (_) { /* the message alone is enough */ }
        }
        error.textContent = message;
        input.select();
        input.focus();
      }
    });
  });

  $('lock-now').addEventListener('click', async () => {
    try { await call('lock'); } catch (_) { /* locked either way */ }
    showUnlock('Your wallet is locked.');
  });

  listen('wallet-locked', () => {
    if (currentScreen === 'wallet') {
      showUnlock('The wallet locked itself because nobody used it for a while.');
    }
  });

  // Tell the app someone is here, at most every 20 seconds, so it does not auto-lock while
  // the holder is reading or typing.
  let lastPing = 0;
  function activity() {
    if (currentScreen !== 'wallet') return;
    const now = Date.now();
    if (now - lastPing < 20000) return;
    lastPing = now;
    call('still_here').then((unlocked) => {
      if (!unlocked) showUnlock('The wallet locked itself because nobody used it for a while.');
    }).catch(() => {});
  }
  for (const type of ['pointerdown', 'keydown', 'wheel']) {
    document.addEventListener(type, activity, { passive: true });
  }

  // ---- The unlocked wallet ----------------------------------------------------------------

  const views = ['credentials', 'credential', 'open', 'offer', 'consent', 'result', 'history', 'backup', 'settings'];
  const loaders = {
    credentials: loadCredentials,
    history: loadHistory,
  };

  async function openWallet() {
    showScreen('wallet');
    await showView('credentials');
    await checkPendingLink();
  }

  async function showView(name, focus = true) {
    for (const v of views) $('view-' + v).hidden = v !== name;
    const tabName = { credential: 'credentials', offer: 'open', consent: 'open', result: 'open' }[name] || name;
    for (const tab of document.querySelectorAll('.tab')) {
      if (tab.dataset.view === tabName) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    if (loaders[name]) {
      try { await loaders[name](); } catch (_) { return; }
    }
    if (name === 'open') clearForm($('open-form'));
    if (focus) {
      const heading = $('view-' + name).querySelector('h1');
      if (heading) heading.focus();
    }
  }

  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', (event) => {
      event.preventDefault();
      showView(tab.dataset.view);
    });
  }
  for (const b of document.querySelectorAll('[data-view-go]')) {
    b.addEventListener('click', () => showView(b.dataset.viewGo));
  }

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const formatDate = (iso) => (iso ? dateFormat.format(new Date(iso)) : null);

  const statusText = {
    valid: 'Valid',
    expired: 'Expired',
    not_yet_valid: 'Not valid yet',
    revoked: 'Revoked',
    suspended: 'Suspended',
  };

  function statusBadge(node, status) {
    node.className = 'status status-' + status;
    node.textContent = statusText[status] || status;
  }

  async function loadCredentials() {
    const cards = await call('credentials');
    const list = $('credential-list');
    list.textContent = '';
    $('credentials-empty').hidden = cards.length > 0;
    for (const card of cards) list.append(cardItem(card));
  }

  function cardItem(card) {
    const item = el('li');
    const button = el('button', 'card');
    button.type = 'button';
    button.dataset.credential = card.id;
    button.append(el('span', 'card-title', card.title));
    button.append(el('span', 'card-issuer', 'From ' + card.issuer));
    const badge = el('span');
    statusBadge(badge, card.status);
    button.append(badge);
    const dates = [];
    if (card.issued_at) dates.push('Issued ' + formatDate(card.issued_at));
    if (card.expires_at) dates.push((card.status === 'expired' ? 'Expired ' : 'Expires ') + formatDate(card.expires_at));
    if (dates.length === 0) dates.push('Received ' + formatDate(card.received_at));
    button.append(el('span', 'card-dates', dates.join(' · ')));
    button.addEventListener('click', () => openCredential(card.id));
    item.append(button);
    return item;
  }

  function fillList(dl, rows) {
    dl.textContent = '';
    for (const [label, value] of rows) {
      dl.append(el('dt', null, label));
      dl.append(el('dd', null, value));
    }
  }

  async function openCredential(id) {
    let detail;
    try {
      detail = await call('credential', { id });
    } catch (e) {
      announce(e.message);
      return;
    }
    const card = detail.card;
    $('credential-title').textContent = card.title;
    statusBadge($('credential-status'), card.status);
    const issued = card.issued_at ? ' · Issued ' + formatDate(card.issued_at) : '';
    const expires = card.expires_at ? ' · ' + (card.status === 'expired' ? 'Expired ' : 'Valid until ') + formatDate(card.expires_at) : '';
    $('credential-issuer').textContent = 'From ' + card.issuer + issued + expires;
    fillList($('credential-claims'), detail.claims.map((c) => [c.label, c.value]));
    $('credential-no-claims').hidden = detail.claims.length > 0;
    fillList($('credential-technical'), [
      ['Issuer', card.issuer_id],
      ['Type', detail.types.join(', ')],
      ['Format', card.format],
      ['Received', dateTimeFormat.format(new Date(card.received_at))],
    ]);
    $('credential-check-status').dataset.credential = card.id;
    $('credential-status-answer').textContent = '';
    $('credential-status-answer').className = '';
    for (const v of views) $('view-' + v).hidden = v !== 'credential';
    $('credential-title').focus();
  }

  // "Check status": asks the issuer's status list now. The badge follows the answer; an
  // answer that could not be had ("Couldn't check…") leaves the badge as the dates say.
  $('credential-check-status').addEventListener('click', async () => {
    const button = $('credential-check-status');
    const answer = $('credential-status-answer');
    await busy(button, async () => {
      button.textContent = 'Checking…';
      answer.textContent = '';
      try {
        const result = await call('check_status', { credentialId: button.dataset.credential });
        answer.textContent = result.message;
        answer.className = 'status-answer status-answer-' + result.status;
        if (result.status !== 'unknown') statusBadge($('credential-status'), result.status);
      } catch (e) {
        answer.textContent = e.message;
        answer.className = 'status-answer status-answer-unknown';
      }
    });
  });

  const outcomeText = {
    sent: ['Shared with', 'outcome-sent', 'Shared'],
    declined: ['Declined a request from', 'outcome-declined', 'Declined: nothing was sent'],
    failed: ['Could not send to', 'outcome-failed', 'Not delivered'],
  };

  async function loadHistory() {
    const entries = await call('history');
    const list = $('history-list');
    list.textContent = '';
    $('history-empty').hidden = entries.length > 0;
    for (const entry of entries) {
      const [verb, outcomeClass, outcomeLabel] = outcomeText[entry.outcome] || outcomeText.failed;
      const item = el('li');
      item.dataset.outcome = entry.outcome;
      const head = el('div', 'history-head');
      head.append(el('span', 'history-who', verb + ' ' + entry.verifier));
      head.append(el('span', 'history-when', dateTimeFormat.format(new Date(entry.at))));
      item.append(head);
      item.append(el('p', 'history-proof', entry.verifier_proven_by));
      item.append(el('p', outcomeClass, outcomeLabel));
      for (const shared of entry.shared) {
        item.append(el('p', 'history-credential', 'Your ' + shared.credential));
        if (shared.disclosed.length) {
          item.append(el('p', 'hint', entry.outcome === 'sent' ? 'Shared:' : 'Asked for:'));
          const chips = el('ul', 'chips');
          for (const label of shared.disclosed) chips.append(el('li', null, label));
          item.append(chips);
        }
        if (shared.withheld.length) {
          item.append(el('p', 'hint', 'Kept private:'));
          const chips = el('ul', 'chips private');
          for (const label of shared.withheld) chips.append(el('li', null, label));
          item.append(chips);
        }
      }
      list.append(item);
    }
  }

  // ---- Backup -------------------------------------------------------------------------

  $('backup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('backup-error');
    const result = $('backup-result');
    error.textContent = '';
    result.hidden = true;
    const problem = newPassphraseProblem('backup-passphrase', 'backup-confirm');
    if (problem) { error.textContent = problem; return; }
    const button = $('backup-submit');
    await busy(button, async () => {
      button.textContent = 'Saving…';
      try {
        const saved = await call('export_backup', { backupPassphrase: $('backup-passphrase').value });
        clearForm($('backup-form'));
        result.textContent = '';
        result.append(el('strong', null, 'Backup saved. '));
        result.append(document.createTextNode('The file “' + saved.file_name + '” is in the folder ' + saved.folder + '. Copy it somewhere safe, away from this computer.'));
        result.hidden = false;
        result.focus();
        announce('Backup saved.');
      } catch (e) {
        error.textContent = e.message;
      }
    });
  });
  $('backup-result').tabIndex = -1;

  // ---- Settings ------------------------------------------------------------------------

  $('settings-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('settings-error').textContent = '';
    $('settings-result').hidden = true;
    try {
      const status = await call('set_auto_lock', { minutes: Number($('auto-lock').value) });
      applyStatus(status);
      $('settings-result').textContent = 'Saved. The wallet now locks after ' + $('auto-lock').selectedOptions[0].textContent + ' without activity.';
      $('settings-result').hidden = false;
    } catch (e) {
      $('settings-error').textContent = e.message;
    }
  });

  // ---- Receive and share ---------------------------------------------------------------

  function chipList(labels, className) {
    const list = el('ul', 'chips ' + className);
    for (const label of labels) list.append(el('li', null, label));
    return list;
  }

  // Opens a wallet link: shows the offer or the consent screen. Nothing is added or shared
  // here; that needs the holder's click on the next screen.
  async function openLink(link, errorTarget) {
    const error = errorTarget || $('open-error');
    error.textContent = '';
    try {
      const incoming = await call('recognise_link', { link });
      if (incoming.kind === 'credential_offer') {
        showOffer(await call('open_offer', { link: incoming.link }));
      } else {
        showConsent(await call('prepare_presentation', { link: incoming.link }));
      }
      return true;
    } catch (e) {
      if (e.code !== 'locked') {
        await showView('open', false);
        $('open-link').value = link;
        $('open-error').textContent = e.message;
        $('open-link').focus();
      }
      return false;
    }
  }

  $('open-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const link = $('open-link').value.trim();
    if (!link) { $('open-error').textContent = 'Paste the link first.'; $('open-link').focus(); return; }
    await busy($('open-submit'), async () => {
      $('open-submit').textContent = 'Opening…';
      await openLink(link);
    });
  });

  $('open-qr').addEventListener('change', async () => {
    const file = $('open-qr').files[0];
    if (!file) return;
    $('open-error').textContent = '';
    try {
      const image = await readFileAsBase64(file);
      const incoming = await call('read_qr_image', { image });
      await openLink(incoming.link);
    } catch (e) {
      $('open-error').textContent = e.message;
    } finally {
      $('open-qr').value = '';
    }
  });

  let currentOffer = null;

  function showOffer(offer) {
    currentOffer = offer;
    clearForm($('offer-form'));
    $('offer-title').textContent = offer.issuer + ' offers you a credential';
    const list = $('offer-credentials');
    list.textContent = '';
    for (const title of offer.credentials) list.append(el('li', null, title));
    $('offer-issuer-id').textContent = 'Issuer: ' + offer.issuer_id;
    const code = offer.tx_code;
    $('offer-code-field').hidden = !code;
    if (code) {
      const input = $('offer-code');
      input.inputMode = code.numeric ? 'numeric' : 'text';
      if (code.length) input.maxLength = code.length; else input.removeAttribute('maxlength');
      const parts = ['The issuer sent you this code separately, for example by email or text message.'];
      if (code.description) parts.push('Their note: “' + code.description + '”.');
      if (code.length) parts.push('It has ' + code.length + (code.numeric ? ' digits.' : ' characters.'));
      $('offer-code-hint').textContent = parts.join(' ');
    }
    for (const v of views) $('view-' + v).hidden = v !== 'offer';
    $('offer-title').focus();
  }

  $('offer-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!currentOffer) return;
    const error = $('offer-error');
    error.textContent = '';
    const code = currentOffer.tx_code ? $('offer-code').value.trim() : null;
    if (currentOffer.tx_code && !code) { error.textContent = 'Enter the code from the issuer.'; $('offer-code').focus(); return; }
    const button = $('offer-accept');
    await busy(button, async () => {
      button.textContent = 'Receiving…';
      try {
        const cards = await call('accept_offer', { offerId: currentOffer.offer_id, txCode: code });
        const issuer = currentOffer.issuer;
        currentOffer = null;
        showResult('Added to your wallet', 'The wallet checked ' + (cards.length === 1 ? 'this credential' : 'these credentials') + ' from ' + issuer + ' and saved ' + (cards.length === 1 ? 'it.' : 'them.'), null, cards, 'good');
      } catch (e) {
        if (e.code === 'locked') return;
        error.textContent = e.message;
        const retry = ['tx_code_invalid', 'tx_code_required', 'issuer_refused', 'busy'].includes(e.code);
        if (retry && currentOffer.tx_code) $('offer-code').focus();
        if (!retry) currentOffer = null;
      }
    });
  });

  $('offer-dismiss').addEventListener('click', async () => {
    if (currentOffer) {
      try { await call('dismiss_offer', { offerId: currentOffer.offer_id }); } catch (_) { /* gone anyway */ }
      currentOffer = null;
    }
    showView('credentials');
  });

  let currentConsent = null;

  function showConsent(consent) {
    currentConsent = consent;
    $('consent-error').textContent = '';
    $('consent-title').textContent = consent.verifier + ' asks to see some of your information';
    $('consent-identity').textContent = consent.verifier_proven_by + ': ' + consent.verifier_id + '.' +
      (consent.verifier_has_web_name ? '' : ' It is identified only by a key, not by a website name: share only if you trust where the link came from.');
    const box = $('consent-credentials');
    box.textContent = '';
    for (const c of consent.credentials) {
      const card = el('section', 'consent-card');
      card.append(el('h2', null, 'From your ' + c.title + ' (issued by ' + c.issuer + ')'));
      card.append(el('h3', null, 'Will be shared'));
      card.append(c.shared.length ? chipList(c.shared, 'shared') : el('p', 'hint', 'Only that you hold this credential.'));
      if (c.revealed_anyway.length) {
        card.append(el('h3', null, 'Also visible to them (this credential cannot hide it)'));
        card.append(chipList(c.revealed_anyway, 'anyway'));
      }
      card.append(el('h3', null, 'Stays private'));
      card.append(c.not_shared.length ? chipList(c.not_shared, 'private') : el('p', 'hint', 'Nothing else is in this credential.'));
      card.dataset.consentCredential = c.title;
      box.append(card);
    }
    $('consent-optional').hidden = consent.optional_not_shared.length === 0;
    $('consent-optional').textContent = 'They also asked, as optional, for: ' + consent.optional_not_shared.join(', ') + '. The wallet leaves these out.';
    $('consent-warnings').hidden = consent.warnings.length === 0;
    const warnings = $('consent-warning-list');
    warnings.textContent = '';
    for (const w of consent.warnings) warnings.append(el('li', null, w));
    $('consent-destination').textContent = 'Your answer goes to ' + consent.answer_goes_to + '.';
    for (const v of views) $('view-' + v).hidden = v !== 'consent';
    $('consent-title').focus();
  }

  $('consent-approve').addEventListener('click', async () => {
    if (!currentConsent) return;
    const consent = currentConsent;
    const button = $('consent-approve');
    $('consent-error').textContent = '';
    await busy(button, async () => {
      button.textContent = 'Sharing…';
      try {
        const shared = await call('approve', { consentId: consent.consent_id });
        currentConsent = null;
        showResult('Shared with ' + shared.verifier, shared.verifier + ' received and accepted your answer. You can see what you shared in History.',
          shared.continue_at ? 'They suggest continuing at ' + shared.continue_at : null, [], 'good');
      } catch (e) {
        if (e.code === 'locked') return;
        currentConsent = null;
        showResult('Not shared', e.message + ' This attempt is listed in History.', null, [], 'neutral');
      }
    });
  });

  $('consent-decline').addEventListener('click', async () => {
    if (!currentConsent) return;
    const consent = currentConsent;
    currentConsent = null;
    try {
      await call('decline', { consentId: consent.consent_id });
      showResult('Nothing was shared', 'You declined the request from ' + consent.verifier + '. Nothing was sent to them. The refusal is listed in History.', null, [], 'neutral');
    } catch (e) {
      if (e.code !== 'locked') showResult('Nothing was shared', e.message, null, [], 'neutral');
    }
  });

  function showResult(title, text, extra, cards, tone) {
    $('result-box').dataset.tone = tone;
    $('result-title').textContent = title;
    $('result-text').textContent = text;
    $('result-extra').hidden = !extra;
    $('result-extra').textContent = extra || '';
    const list = $('result-cards');
    list.textContent = '';
    for (const card of cards) list.append(cardItem(card));
    list.hidden = cards.length === 0;
    for (const v of views) $('view-' + v).hidden = v !== 'result';
    $('result-title').focus();
    announce(title);
  }
  $('result-done').addEventListener('click', () => showView('credentials'));

  // ---- Links that opened the app -------------------------------------------------------

  // A link the platform opened the app with (or handed to it): show what it is about.
  async function checkPendingLink() {
    let link = null;
    try { link = await call('take_pending_link'); } catch (_) { return; }
    if (link) await openLink(link.link);
  }
  listen('wallet-link', () => { if (currentScreen === 'wallet') checkPendingLink(); });

  start();
})();
