// The language switch: on every page, a link to the same page in the other
// edition. The English book is served at the root and the Chinese edition
// at zh-CN/ inside it (`cargo book`), so the other edition's page is found
// from this page's place under its own edition's root.
//
// The link is left out where the other edition is not there: an edition
// served alone (`cargo book --lang zh-CN`), or a page the server does not
// have. Once the check is done, <html> is marked data-language-switch =
// "shown" or "hidden", so a test can wait for it.
(() => {
    const editions = [
        { lang: 'en', folder: '', label: 'English', title: 'Read this page in English' },
        { lang: 'zh-CN', folder: 'zh-CN/', label: '中文', title: '阅读本页的中文版' },
    ];
    const html = document.documentElement;
    const here = editions.find((e) => e.lang === html.lang) || editions[0];
    const other = editions.find((e) => e !== here);

    // mdBook's own words (its buttons and the search box) in the reader's
    // language; mdBook itself has them in English only.
    const interfaceWords = {
        'zh-CN': {
            'Search this book ...': '搜索本书……',
            'Search (`/`)': '搜索（`/`）',
            'Toggle Searchbar': '搜索',
            'Toggle Table of Contents': '目录',
            'Table of contents': '目录',
            'Change theme': '更换主题',
            'Themes': '主题',
            'Print this book': '打印本书',
            'Previous chapter': '上一章',
            'Next chapter': '下一章',
            'Page navigation': '翻页',
        },
    }[here.lang];
    if (interfaceWords) {
        for (const attribute of ['title', 'aria-label', 'placeholder']) {
            for (const element of document.querySelectorAll(`[${attribute}]`)) {
                const words = interfaceWords[element.getAttribute(attribute)];
                if (words) {
                    element.setAttribute(attribute, words);
                }
            }
        }
    }

    // This edition's root, and this page's path under it.
    // (path_to_root is "" on a page at the root: "./" is that folder.)
    const root = new URL(path_to_root || './', window.location.href);
    const page = window.location.href.slice(root.href.length);
    if (!root.pathname.endsWith('/' + here.folder)) {
        html.dataset.languageSwitch = 'hidden';
        return;
    }
    // The English book's root: a translation's folder is one level down.
    const bookRoot = new URL(here.folder ? '../' : './', root);
    const target = new URL(other.folder + page, bookRoot);

    const link = document.createElement('a');
    link.href = target.href;
    link.id = 'language-switch';
    link.className = 'language-switch';
    link.lang = other.lang;
    link.hreflang = other.lang;
    link.title = other.title;
    link.setAttribute('aria-label', other.title);
    link.textContent = other.label;

    const show = () => {
        const buttons = document.querySelector('.right-buttons');
        if (buttons) {
            buttons.prepend(link);
            html.dataset.languageSwitch = 'shown';
        } else {
            html.dataset.languageSwitch = 'hidden';
        }
    };
    if (window.location.protocol === 'file:') {
        show(); // a book opened from disk: both editions are written together
        return;
    }
    fetch(target.href, { method: 'HEAD' }).then(
        (response) => {
            if (response.ok) {
                show();
            } else {
                html.dataset.languageSwitch = 'hidden';
            }
        },
        () => { html.dataset.languageSwitch = 'hidden'; },
    );
})();
