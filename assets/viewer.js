/* The image viewer (explorer/viewer): open it from a click on an image, close it with
 * Esc, the close button or a click beside it. Images are named by the content id in
 * their thumbnail URL; the server turns the request into the full-resolution figures.
 *   single click: the Point panel's preview, any image of the cluster card, a tile's
 *                 corner button (drawn by viewer.css: a click within CORNER pixels of the
 *                 tile's top-right corner; a click elsewhere on a tile focuses it);
 *   double click: any thumbnail.
 * On the cluster card the cluster's peak (data-peak) is opened beside the image. */
(function () {
    "use strict";
    const THUMB = /\/thumbnails\/([0-9a-f]{32})\.png/;
    const SINGLE = "img.preview, .hier-card img.thumb";
    const CORNER = 20;  // px: a tile's border (3) and its corner button (1 + 14, viewer.css)

    function corner(event) {  // the tile whose corner button was clicked, or null
        const tile = event.target.closest(".tile");
        if (!tile) { return null; }
        const box = tile.getBoundingClientRect();
        return event.clientX >= box.right - CORNER && event.clientY <= box.top + CORNER
            ? tile : null;
    }

    function idOf(element) {
        const img = element.tagName === "IMG" ? element
            : element.closest(".tile") && element.closest(".tile").querySelector("img");
        const match = img && THUMB.exec(img.getAttribute("src") || "");
        return match ? match[1] : null;
    }

    function setRequest(data) {
        if (window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props("viewer-request", {data: data});
        }
    }

    let opener = null;  // the image the viewer was opened from (arrow keys step from it)

    function open(element) {
        const id = idOf(element);
        if (!id) { return; }
        const card = element.closest("[data-peak]");
        const peak = card ? card.getAttribute("data-peak") : null;
        opener = element.tagName === "IMG" ? element : element.closest(".tile").querySelector("img");
        setRequest({id: id, compare: peak && peak !== id ? peak : null, t: Date.now()});
    }

    function step(by) {  // the next or previous image of the opener's grid
        const grid = opener && opener.isConnected ? opener.closest(".grid") : null;
        if (!grid) { return; }
        const images = Array.from(grid.querySelectorAll("img.thumb"));
        const next = images[images.indexOf(opener) + by];
        if (next) { open(next); }
    }

    function isOpen() {
        const viewer = document.getElementById("viewer");
        return Boolean(viewer && viewer.classList.contains("open"));
    }

    document.addEventListener("click", function (event) {
        if (event.target.id === "viewer") { setRequest(null); return; }  // beside the box
        const opener = event.target.closest(SINGLE) || corner(event);
        if (opener && !event.target.closest("#viewer")) { open(opener); }
    });
    document.addEventListener("dblclick", function (event) {
        const img = event.target.closest("img.thumb");
        if (img && !event.target.closest("#viewer")) { open(img); }
    });
    document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && isOpen()) { setRequest(null); event.preventDefault(); }
    });

    /* Linked zoom: side by side, a zoom or pan of one image shows the same part (the same
     * fractions of its width and height) of the other, while "linked zoom" is ticked. */
    let syncing = false;

    function extent(gd) {  // (width, height) of the image: its invisible "extent" trace
        const trace = (gd.data || []).find(function (t) { return t.name === "extent"; });
        return trace ? [trace.x[1], trace.y[1]] : null;
    }

    function linked() {
        const box = document.querySelector('#viewer-options input[value="link-zoom"]');
        const pane = document.getElementById("viewer-compare-pane");
        return Boolean(box && box.checked && pane && !pane.hidden);
    }

    function follow(source, target) {
        source.on("plotly_relayout", function () {
            if (syncing || !linked()) { return; }
            const a = extent(source), b = extent(target);
            if (!a || !b || !source.layout.xaxis.range || !source.layout.yaxis.range) { return; }
            const x = source.layout.xaxis.range, y = source.layout.yaxis.range;
            const update = {
                "xaxis.range": [x[0] / a[0] * b[0], x[1] / a[0] * b[0]],
                "yaxis.range": [y[0] / a[1] * b[1], y[1] / a[1] * b[1]],
            };
            syncing = true;
            Promise.resolve(window.Plotly.relayout(target, update)).finally(function () {
                syncing = false;
            });
        });
    }

    window.setInterval(function () {  // the graphs are drawn (and redrawn) by Dash
        const main = document.querySelector("#viewer-main .js-plotly-plot");
        const other = document.querySelector("#viewer-compare .js-plotly-plot");
        if (!main || !other || !main.on || !other.on) { return; }
        if (main._topographLinked !== other || other._topographLinked !== main) {
            main._topographLinked = other;
            other._topographLinked = main;
            follow(main, other);
            follow(other, main);
        }
    }, 500);

    window.topographViewer = {isOpen: isOpen, step: step};
})();
