/**
 * What a program was not shown: a path it looked for that exists on the host but lies outside
 * what its file view lets it read. The program was told ENOENT there, which is where its run may
 * part from the native one, so the user is told once per path how to let it read there.
 */

/** Paths told of one by one; after that, one last line says that more were hidden. */
const LISTED = 20;

/** An onHidden for the file view that warns once per path, at most LISTED times (undefined without a warn). */
export function hiddenPathWarnings(warn: ((message: string) => void) | undefined): ((guest: string) => void) | undefined {
  if (!warn) return undefined;
  const told = new Set<string>();
  return (guest) => {
    if (told.has(guest) || told.size > LISTED) return;
    told.add(guest);
    if (told.size > LISTED) {
      warn("the program looked for more files that exist on this machine but are outside the paths it may read (not listed)");
      return;
    }
    warn(`the program looked for ${guest}, which exists on this machine but is outside the paths it may read, so it was told there is no such file; to let it read there, give --allow ${guest} (jitdbg run) or add it to "allowedPaths" (launch.json)`);
  };
}
