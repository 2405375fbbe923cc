/**
 * Hands content to the browser as a download named `filename` (a CSV, a rules file, a HAR, an engine's experiment):
 * an object URL clicked through a link, then released.
 */
export function saveFile(
  content: Blob | string,
  filename: string,
  type = 'text/plain',
): void {
  const blob =
    typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
