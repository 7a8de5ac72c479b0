import Bowser from 'bowser';

/** What a person recognises of a session's user agent: "Chrome 141" on "Windows" (docs/adr/0017). */
export interface UserAgentSummary {
  browser: string | null;
  os: string | null;
}

/**
 * The browser with its major version, and the system by name only: browsers now freeze the system
 * version they report (every Mac says 10.15.7, Windows 11 says NT 10.0), so a version there would be
 * wrong as often as right.
 */
export function describeUserAgent(userAgent: string | null): UserAgentSummary {
  if (!userAgent) return { browser: null, os: null };
  const { browser, os } = Bowser.parse(userAgent);
  const major = browser.version?.split('.')[0];
  return {
    browser: browser.name ? [browser.name, major].filter(Boolean).join(' ') : null,
    os: os.name || null,
  };
}
