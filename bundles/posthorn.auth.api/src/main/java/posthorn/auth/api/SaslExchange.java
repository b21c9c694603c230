package posthorn.auth.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One SASL exchange. The server passes each client response (base64-decoded) in turn.
 * Not thread-safe; one command's thread.
 */
@ProviderType
public interface SaslExchange {

    /** The first challenge, sent before any client response; empty array for none. */
    byte[] initialChallenge();

    /**
     * Takes the client's response and answers with the next step.
     */
    Step respond(byte[] response);

    /** A step of the exchange. */
    sealed interface Step {
        /** Send this challenge and wait for another response. */
        record Challenge(byte[] data) implements Step {
        }

        /** Authenticated. */
        record Done(String user, UserRecord record) implements Step {
        }

        /**
         * Failed: the credentials were wrong, or the client broke the mechanism's rules
         * ({@code malformed}). The reason is for the log, never the client.
         */
        record Failed(String reason, boolean malformed) implements Step {
        }

        /** The backends could not answer (directory down): the client may try again later. */
        record Unavailable(String reason) implements Step {
        }
    }
}
