package posthorn.console.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;

import org.junit.jupiter.api.Test;

class FramesTest {

    private static DataInputStream in(byte[] b) {
        return new DataInputStream(new ByteArrayInputStream(b));
    }

    @Test
    void roundTripAndCleanEnd() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Frames.write(out, Frames.COMMAND, "lb -s posthorn");
        Frames.exit(out, 127);
        DataInputStream in = in(out.toByteArray());
        Frames.Frame f = Frames.read(in, 100);
        assertEquals(Frames.COMMAND, f.type());
        assertEquals("lb -s posthorn", f.text());
        Frames.Frame x = Frames.read(in, 100);
        assertArrayEquals(new byte[] {0, 0, 0, 127}, x.payload());
        assertNull(Frames.read(in, 100));
    }

    @Test
    void anOversizedFrameIsRefusedBeforeItIsRead() {
        // 2 GiB announced, nothing sent: refused from the header alone, no allocation
        byte[] header = {'C', 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        Frames.BadFrame e = assertThrows(Frames.BadFrame.class, () -> Frames.read(in(header), 65536));
        assertEquals("frame of 2147483647 bytes; at most 65536", e.getMessage());
        byte[] negative = {'C', (byte) 0xff, 0, 0, 0};
        assertThrows(Frames.BadFrame.class, () -> Frames.read(in(negative), 65536));
    }

    @Test
    void aFrameCutShortIsAnError() {
        assertThrows(Frames.BadFrame.class, () -> Frames.read(in(new byte[] {'C', 0, 0}), 100));
        assertThrows(Frames.BadFrame.class, () -> Frames.read(in(new byte[] {'C', 0, 0, 0, 5, 'l', 'b'}), 100));
    }

    @Test
    void outputIsBufferedIntoFewFrames() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Frames.FrameStream s = new Frames.FrameStream(out, Frames.OUT);
        for (int i = 0; i < 1000; i++) {
            s.write('x');
        }
        s.flush();
        DataInputStream in = in(out.toByteArray());
        assertEquals(1000, Frames.read(in, 1 << 20).payload().length);
        assertNull(Frames.read(in, 1 << 20));
        s.write(new byte[20000], 0, 20000); // bigger than the buffer: one frame of its own
        s.flush();
    }
}
