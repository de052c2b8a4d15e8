/* The image viewer (explorer/viewer): open it from a click on an image, close it with
 * Esc, the close button or a click beside it. Images are named by the content id in
 * their thumbnail URL; the server turns the request into the full-resolution figures.
 *   single click: the Point panel's preview, any image of the cluster card, a tile's
 *                 corner button (a click elsewhere on a tile focuses it, as before);
 *   double click: any thumbnail.
 * On the cluster card the cluster's peak (data-peak) is opened beside the image. */
(function () {
    "use strict";
    const THUMB = /\/thumbnails\/([0-9a-f]{32})\.png/;
    const SINGLE = "img.preview, .hier-card img.thumb, .tile .open-viewer";

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
        const opener = event.target.closest(SINGLE);
        if (opener && !event.target.closest("#viewer")) { open(opener); }
    });
    document.addEventListener("dblclick", function (event) {
        const img = event.target.closest("img.thumb");
        if (img && !event.target.closest("#viewer")) { open(img); }
    });
    document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && isOpen()) { setRequest(null); event.preventDefault(); }
    });
    window.topographViewer = {isOpen: isOpen, step: step};
})();
