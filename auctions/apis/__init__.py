"""JSON API of the auctions domain (thin: parse, call one service or selector, render)."""
