// The chat demo served at /: herald.js in a page. A room is the channel "room:<name>"; a chat
// line is a message with event "message" and data {name, text}; "X is typing" is a message with
// event "typing" and data {name} (docs/CLIENT.md explains why typing goes through the channel).
import { Herald } from '/herald.js';

const TYPING_EVERY_MS = 2000;  // a typist publishes at most one typing event per 2 s
const TYPING_SHOWN_MS = 3500;  // and shows as typing for a little longer than that

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const saved = JSON.parse(localStorage.getItem('herald-chat') ?? '{}');

const client = new Herald({
    transport: params.get('transport') ?? saved.transport ?? 'auto',
    token: params.get('token') ?? undefined,
});
let room = null;
let me = null;
let joinedAt = 0;
let lastTypingSent = 0;
const typists = new Map();  // name -> ms when their typing stops showing
const states = [];  // every state change, for the curious (and the browser tests)
window.chat = { client, states, get room() { return room; }, get name() { return me; } };

$('transport').value = client.options.transport;
$('name').value = params.get('name') ?? saved.name ?? '';
$('room').value = params.get('room') ?? saved.room ?? 'lobby';

client.on('state', ({ state, transport, attempt, delay }) => {
    states.push({ state, transport, attempt, delay });
    const label = state === 'reconnecting' ? `reconnecting #${attempt} in ${delay} ms`
                : state === 'connected' ? `connected · ${transport}` : state;
    $('state').textContent = label;
    $('state').dataset.state = state;
    $('state').dataset.transport = transport ?? '';
});

$('transport').addEventListener('change', (event) => {
    const transport = event.target.value;
    localStorage.setItem('herald-chat', JSON.stringify({ ...saved, name: me, room: room?.room, transport }));
    client.setTransport(transport);
});

$('join').addEventListener('submit', (event) => {
    event.preventDefault();
    join($('name').value.trim(), $('room').value.trim());
});

function join(name, roomName) {
    if (!name || !/^[A-Za-z0-9._-]{1,60}$/.test(roomName)) return;
    me = name;
    localStorage.setItem('herald-chat', JSON.stringify({ name, room: roomName, transport: client.options.transport }));
    if (room) client.unsubscribe(room.channel);
    typists.clear();
    renderTyping();
    $('messages').replaceChildren();
    joinedAt = Date.now();
    const subscription = client.subscribe(`room:${roomName}`, { after: 0, presence: true });
    room = { room: roomName, channel: subscription.channel, subscription };
    subscription.on('message', show);
    subscription.on('gap', (gap) => notice(`messages ${gap.after + 1} to ${gap.first_seq - 1} are no longer kept`));
    subscription.on('presence', ({ clients }) => showPresence(clients));
    $('room-title').textContent = `# ${roomName}`;
    $('join').hidden = true;
    $('chat').hidden = false;
    document.title = `${roomName} · Herald chat`;
    $('text').focus();
    client.connect();
}

function show(message) {
    if (message.event === 'typing') return showTyping(message);
    if (message.event !== 'message') return;
    const { name = '?', text = '' } = message.data ?? {};
    typists.delete(name);
    renderTyping();
    const item = document.createElement('li');
    item.dataset.seq = message.seq;
    if (name === me) item.classList.add('mine');
    const history = message.time < joinedAt;
    const latency = Date.now() - message.time;
    item.dataset.latency = history ? '' : String(latency);
    item.innerHTML = '<div class="meta"><span class="who"></span><time></time><span class="latency"></span></div>' +
                     '<div class="text"></div>';
    item.querySelector('.who').textContent = name;
    const time = new Date(message.time);
    item.querySelector('time').dateTime = time.toISOString();
    item.querySelector('time').textContent = time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    item.querySelector('.latency').textContent = history ? 'history' : `${formatLatency(latency)} via ${client.transport}`;
    item.querySelector('.latency').title = 'arrival time minus the server\'s receive time';
    item.querySelector('.text').textContent = text;
    append(item);
}

function notice(text) {
    const item = document.createElement('li');
    item.className = 'notice';
    item.textContent = text;
    append(item);
}

function append(item) {
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(item);
    if (atBottom) list.scrollTop = list.scrollHeight;
}

function formatLatency(ms) {
    if (ms < 1000) return `${Math.max(0, ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    return `${Math.round(ms / 60000)} min`;
}

function showTyping(message) {
    const name = message.data?.name;
    // Typing events stay in the room's history: an old one means nothing now.
    if (!name || name === me || Date.now() - message.time > TYPING_SHOWN_MS) return;
    typists.set(name, Date.now() + TYPING_SHOWN_MS);
    renderTyping();
    setTimeout(renderTyping, TYPING_SHOWN_MS + 50);
}

function renderTyping() {
    const now = Date.now();
    for (const [name, until] of typists) if (until <= now) typists.delete(name);
    const names = [...typists.keys()];
    $('typing').textContent = names.length === 0 ? ''
        : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

function showPresence(clients) {
    $('presence-count').textContent = clients.length;
    $('presence').replaceChildren(...clients.map((c) => {
        const item = document.createElement('li');
        item.dataset.client = c.client;
        item.textContent = c.user ?? `guest ${c.client.slice(-4)}`;
        if (c.transport) {
            const small = document.createElement('small');
            small.textContent = ` · ${c.transport}`;
            item.append(small);
        }
        return item;
    }));
}

$('text').addEventListener('input', () => {
    if (!room || !$('text').value || Date.now() - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = Date.now();
    client.publish(room.channel, { name: me }, { event: 'typing' }).catch(() => {});
});

$('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('text').value.trim();
    if (!text || !room) return;
    $('text').value = '';
    lastTypingSent = 0;
    try {
        await client.publish(room.channel, { name: me, text });
    } catch (error) {
        notice(`not sent: ${error.message}`);
        $('text').value = text;
    }
});

if (params.get('name') && params.get('room')) join(params.get('name'), params.get('room'));
