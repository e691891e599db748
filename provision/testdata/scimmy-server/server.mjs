// A SCIM 2.0 server nobody in this project wrote: SCIMMY (resources, filters, PATCH) and
// scimmy-routers (the HTTP routes) over Express, with an in-memory store. The only code
// here is the store and the bearer-token check; the provision package's end-to-end test
// provisions into it and reads the result back over SCIM.
//
// Usage: SCIM_TOKEN=secret node server.mjs   (prints "listening <port>" on 127.0.0.1)
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import {randomUUID} from "node:crypto";

const token = process.env.SCIM_TOKEN ?? "";
const stores = {Users: new Map(), Groups: new Map()};

// declare wires one resource type to a Map: egress lists, filters or gets; ingress creates
// or replaces (SCIMMY applies PATCH operations itself, then calls ingress); degress deletes.
function declare(Type, store, unique) {
    SCIMMY.Resources.declare(Type)
        .egress((resource) => {
            if (resource.id) {
                const item = store.get(resource.id);
                if (!item) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
                return item;
            }
            const all = [...store.values()];
            return resource.filter ? resource.filter.match(all) : all;
        })
        .ingress((resource, data) => {
            const clash = [...store.values()].find((x) => x.id !== resource.id &&
                String(x[unique]).toLowerCase() === String(data[unique]).toLowerCase());
            if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} ${data[unique]} is already in use`);
            if (resource.id && !store.has(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            const id = resource.id ?? randomUUID();
            const now = new Date();
            const created = resource.id ? store.get(id).meta.created : now;
            const item = {...data, id, meta: {created, lastModified: now}};
            store.set(id, item);
            return item;
        })
        .degress((resource) => {
            if (!store.delete(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            if (Type === SCIMMY.Resources.User) {
                for (const g of stores.Groups.values()) g.members = (g.members ?? []).filter((m) => m.value !== resource.id);
            }
        });
}

declare(SCIMMY.Resources.User, stores.Users, "userName");
declare(SCIMMY.Resources.Group, stores.Groups, "displayName");
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false);

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (req) => {
        if (req.header("Authorization") !== `Bearer ${token}`) throw new Error("Authorization failed: a valid bearer token is required");
        return "entra-provisioning";
    },
}));
const server = app.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
