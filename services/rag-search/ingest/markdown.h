/*
 * markdown: a Markdown document (CommonMark with GitHub's tables) as the
 * plain text the chunker reads, keeping the structure it needs:
 *
 *   - a heading is one line "#… text" ('#' times its level, 1-6), setext
 *     headings (underlined with = or -) included, with a blank line around it;
 *     no other output line starts with '#';
 *   - emphasis, strikethrough, links, images, autolinks, inline code and
 *     HTML tags become their text (a link's text, an image's alt text);
 *     reference definitions, HTML comments and the content of <script> and
 *     <style> disappear;
 *   - fenced code stays, each line indented by four spaces;
 *   - a list item is one line "- text" ("3. text" when numbered), nesting
 *     flattened; a table row becomes "- Header: cell; Header: cell";
 *   - blockquote markers are dropped; paragraphs stay apart by blank lines;
 *   - common HTML entities (&amp; &nbsp; &eacute; &#233; &#xE9; …) are
 *     decoded.
 *
 * Any bytes are accepted (text_clean first: invalid UTF-8 becomes U+FFFD,
 * control characters go), in time linear in the input.
 */
#ifndef RAG_SEARCH_INGEST_MARKDOWN_H
#define RAG_SEARCH_INGEST_MARKDOWN_H

#include <stddef.h>

/* md[0..len) as plain text (malloc'd, NUL-terminated, *out_len bytes of
 * UTF-8; the caller frees it). Never NULL. */
char *markdown_to_text(const char *md, size_t len, size_t *out_len);

#endif
