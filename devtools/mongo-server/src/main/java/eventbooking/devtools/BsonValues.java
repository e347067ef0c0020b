package eventbooking.devtools;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.BsonConstants;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * How the h2 store writes a collection's documents, their ids and its unique indexes' keys:
 * documents and keys as BSON, ObjectIds as their 12 bytes, where the library's default type
 * ({@link ObjectDataType}) writes them with Java serialization.
 *
 * <p>Every commit writes each page a write changed whole, every entry of it serialized again, so
 * with a commit before each acknowledgement the serializing is most of a commit's CPU; Java
 * serialization of a document (its class descriptors written again with each one) costs several
 * times its BSON encoding. Everything else (strings, numbers, and a value BSON cannot hold) is
 * written as the library's type writes it, and read back by it: a store written before this type
 * opens unchanged, and its pages take the new form as they are written again. The order of keys
 * is the library type's, whatever the form they were read from.
 *
 * <p>{@code --format java} ({@link #writeJavaForm}) writes as the library does, to measure the
 * difference; both forms are read either way.
 */
final class BsonValues extends BasicDataType<Object> {

    /** Tags the library's type never writes (its own end at 119). */
    private static final byte TAG_DOCUMENT = 120;
    private static final byte TAG_OBJECT_ID = 121;
    private static final byte TAG_KEY = 122;
    private static final int OBJECT_ID_BYTES = 12;

    /** Set once, before the store opens: write every value as the library's type does. */
    static volatile boolean writeJavaForm;

    private static final ThreadLocal<ByteBuf> SCRATCH = ThreadLocal.withInitial(() -> Unpooled.buffer(4096));

    private final ObjectDataType library = new ObjectDataType();
    /**
     * Estimated memory of a document: four times its BSON length, averaged. A page splits above
     * 16 kB of estimated memory, so a page of documents holds about 4 kB of BSON: a commit writes
     * each page a write changed whole, so pages stay about as small as the library's estimate
     * (twice a document's Java serialization) made them.
     */
    private volatile int documentMemory = 2048;

    @Override
    public Object[] createStorage(int size) {
        return new Object[size];
    }

    @Override
    public int compare(Object a, Object b) {
        return library.compare(a, b);
    }

    @Override
    public int getMemory(Object value) {
        if (writeJavaForm) {
            return library.getMemory(value);
        }
        if (value instanceof KeyValue key) {
            // An estimate of its own: the library's, for an object it serializes, starts at 10 kB
            // and learns only from what it serializes, which keys no longer are; index pages
            // would split at two keys.
            int memory = 48;
            for (Object part : key) {
                memory += part instanceof String text ? 40 + 2 * text.length() : 24;
            }
            return memory;
        }
        if (value instanceof Document) {
            return documentMemory;
        }
        if (value instanceof ObjectId) {
            return 2 * OBJECT_ID_BYTES + 24;
        }
        return library.getMemory(value);
    }

    @Override
    public void write(WriteBuffer buffer, Object value) {
        if (writeJavaForm) {
            library.write(buffer, value);
        } else if (value instanceof ObjectId id) {
            buffer.put(TAG_OBJECT_ID).put(id.toByteArray());
        } else if (value instanceof KeyValue key && readsBackEqual(key)) {
            ByteBuf bson = SCRATCH.get().clear();
            encodeArray(key, bson);
            put(buffer, TAG_KEY, bson);
        } else if (!(value instanceof Document document) || !writeBson(buffer, document)) {
            library.write(buffer, value);
        }
    }

    /** False (nothing written) for a document with a value BSON has no type for. */
    private boolean writeBson(WriteBuffer buffer, Document document) {
        ByteBuf bson = SCRATCH.get().clear();
        try {
            encode(document, bson);
        } catch (IllegalArgumentException | ClassCastException e) {
            return false;
        }
        put(buffer, TAG_DOCUMENT, bson);
        documentMemory = (int) ((4L * bson.readableBytes() + 15L * documentMemory) / 16);
        return true;
    }

    private static void put(WriteBuffer buffer, byte tag, ByteBuf bson) {
        buffer.put(tag).put(bson.array(), bson.arrayOffset() + bson.readerIndex(), bson.readableBytes());
    }

    /**
     * A document as BSON: embedded documents, arrays and strings here, any other value by the
     * library's encoder. (The library's encoder looks every key up again and copies each array
     * into a document first, about half of the writing.)
     */
    private static void encode(Map<String, ?> document, ByteBuf out) {
        int start = out.writerIndex();
        out.writeIntLE(0); // the length, set below
        for (Map.Entry<String, ?> entry : document.entrySet()) {
            encodeElement(entry.getKey(), entry.getValue(), out);
        }
        out.writeByte(BsonConstants.TERMINATING_BYTE);
        out.setIntLE(start, out.writerIndex() - start);
    }

    private static void encodeElement(String name, Object value, ByteBuf out) {
        byte type = BsonEncoder.determineType(value);
        out.writeByte(type);
        out.writeCharSequence(name, StandardCharsets.UTF_8);
        out.writeByte(BsonConstants.STRING_TERMINATION);
        switch (type) {
            case BsonConstants.TYPE_EMBEDDED_DOCUMENT -> {
                @SuppressWarnings("unchecked")
                Map<String, ?> embedded = (Map<String, ?>) value;
                encode(embedded, out);
            }
            case BsonConstants.TYPE_ARRAY -> encodeArray((Collection<?>) value, out);
            case BsonConstants.TYPE_UTF8_STRING -> {
                int start = out.writerIndex();
                out.writeIntLE(0);
                int length = out.writeCharSequence((String) value, StandardCharsets.UTF_8);
                out.writeByte(BsonConstants.STRING_TERMINATION);
                out.setIntLE(start, length + 1);
            }
            default -> BsonEncoder.encodeValue(type, value, out);
        }
    }

    /** An array (or an index key's parts): a document keyed "0", "1", ... */
    private static void encodeArray(Iterable<?> items, ByteBuf out) {
        int start = out.writerIndex();
        out.writeIntLE(0);
        int index = 0;
        for (Object item : items) {
            encodeElement(Integer.toString(index++), item, out);
        }
        out.writeByte(BsonConstants.TERMINATING_BYTE);
        out.setIntLE(start, out.writerIndex() - start);
    }

    /**
     * An index key orders as the library's type orders it, by its Java serialization: it is
     * written as BSON only when every part reads back as the same class with the same value.
     */
    private static boolean readsBackEqual(KeyValue key) {
        for (Object part : key) {
            if (!(part == null || part instanceof String || part instanceof Integer || part instanceof Long
                || part instanceof Double || part instanceof Boolean || part instanceof ObjectId)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Object read(ByteBuffer buffer) {
        byte tag = buffer.get(buffer.position());
        if (tag == TAG_OBJECT_ID) {
            byte[] id = new byte[OBJECT_ID_BYTES];
            buffer.position(buffer.position() + 1).get(id);
            return new ObjectId(id);
        }
        if (tag == TAG_DOCUMENT || tag == TAG_KEY) {
            ByteBuf bson = Unpooled.wrappedBuffer(buffer.duplicate().position(buffer.position() + 1));
            Document document = BsonDecoder.decodeBson(bson);
            buffer.position(buffer.position() + 1 + bson.readerIndex());
            return tag == TAG_DOCUMENT ? document : new KeyValue(document.values());
        }
        return library.read(buffer);
    }
}
