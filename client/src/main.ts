/** Entry point: picks the page from the URL. Every page is a full load, so there is no client-side navigation. */
import 'prosemirror-view/style/prosemirror.css'
import 'prosemirror-menu/style/menu.css'
import 'prosemirror-example-setup/style/style.css'
import './styles.css'
import { mountDocList } from './doc-list.ts'
import { mountDocPage } from './doc-page.ts'
import { h } from './dom.ts'
import { pageHeader } from './header.ts'
import { routeOf, tokenOf } from './route.ts'

const app = document.getElementById('app')
if (app === null) throw new Error('index.html has no #app element to mount the page in')

const route = routeOf(window.location.pathname)
switch (route.page) {
  case 'home':
    mountDocList(app)
    break
  case 'doc':
    mountDocPage(app, route.room, tokenOf(window.location.search))
    break
  case 'not-found':
    document.title = 'Not found · Inkwell'
    app.replaceChildren(
      pageHeader([], [], []),
      h('main', { class: 'notice' },
        h('div', { class: 'card' },
          h('h1', {}, 'Page not found'),
          h('p', {}, 'Documents live at ', h('code', {}, '/d/<name>'), '.'),
          h('p', {}, h('a', { href: '/' }, 'See all documents')))))
    break
}
