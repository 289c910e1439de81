// driver errors. (Filled in as the part moves to coded errors.)
import { defineError } from './lba-error.js';

// Keeps the import used until the first code of this part lands.
void defineError;
