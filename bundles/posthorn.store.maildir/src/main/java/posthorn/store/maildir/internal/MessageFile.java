package posthorn.store.maildir.internal;

/**
 * Where a message's file was last seen: in new/ (delivered, nobody has taken its \Recent yet) or in
 * cur/, and under which name. Another process may rename or remove it at any moment; whoever finds it
 * gone looks it up again by its base name ({@link DirectoryScan#find}).
 */
record MessageFile(boolean inNew, String name) {
}
