// admin.js: the admin library page. Staff only (others go to sign in);
// therapists read and curate the library and edit playlists, admins also
// upload, delete, and manage users and rooms. Each part lives in its own
// module; this one checks who is here and switches between the views.
import { requireStaff, post } from '/static/api.js';
import { setupUpload } from '/static/admin-upload.js';
import { setupLibrary } from '/static/admin-library.js';
import { setupPlaylists } from '/static/admin-playlists.js';
import { setupUsers, setupRooms } from '/static/admin-people.js';

const VIEWS = ['library', 'playlists', 'users', 'rooms'];

async function main() {
  const me = await requireStaff();
  const isAdmin = me.role === 'admin';
  document.getElementById('who').textContent = `${me.name} (${me.role})`;
  for (const e of document.querySelectorAll('[data-admin]')) e.hidden = !isAdmin;

  const library = setupLibrary({ isAdmin });
  const playlists = setupPlaylists();
  const loaders = { library: library.reload, playlists: () => playlists.reload() };
  if (isAdmin) {
    setupUpload({ onAdded: library.reload });
    loaders.users = setupUsers({ me }).reload;
    loaders.rooms = setupRooms().reload;
  }

  const show = () => {
    let v = location.hash.slice(1);
    if (!loaders[v]) v = 'library';
    for (const name of VIEWS) {
      document.getElementById(name).hidden = name !== v;
      const tab = document.getElementById(`tab-${name}`);
      if (name === v) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    loaders[v]();
  };
  window.addEventListener('hashchange', show);
  show();

  document.getElementById('signout').addEventListener('click', async () => {
    try {
      await post('/api/logout');
    } finally {
      location.replace('/login?next=' + encodeURIComponent('/admin'));
    }
  });
}

main();
