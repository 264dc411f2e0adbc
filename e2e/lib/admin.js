// admin.js: steps the admin page's tests share, against the mock or the
// real daemon.

/**
 * Drops files on the element as a user dragging them from a file manager
 * would: a drop event whose DataTransfer holds the files.
 * files: [{name, mimeType, buffer}].
 */
export async function dropFiles(page, selector, files) {
  const payload = files.map((f) => ({ name: f.name, type: f.mimeType, b64: f.buffer.toString('base64') }));
  await page.locator(selector).evaluate((zone, payload) => {
    const dt = new DataTransfer();
    for (const f of payload) {
      const bin = atob(f.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, payload);
}

/** Waits until every file in the upload list has its result; returns {name: [state, text]}. */
export async function uploadResults(page, count, timeout = 60000) {
  await page.waitForFunction((n) => {
    const items = [...document.querySelectorAll('#up-list .up-item')];
    return items.length >= n && items.every((li) => ['added', 'exists', 'rejected'].includes(li.dataset.state));
  }, count, { timeout });
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#up-list .up-item')].map((li) => [
    li.querySelector('.up-name').textContent, [li.dataset.state, li.querySelector('.up-state').textContent]])));
}

/** The library row whose title is title. */
export function rowOf(page, title) {
  return page.locator('#lib-body tr', { has: page.locator('button.linkish', { hasText: title }) });
}
